// What a verified access token says, reduced to what authorisation needs. Kept in the token cache.
export interface VerifiedToken {
  kind: 'local' | 'external';
  issuer: string;
  /** Our tokens: client_id. External ones: client_id, else azp, else sub. */
  clientId: string;
  /** What maps the token to a consumer: our client_id, or the external consumerClaim value. */
  subject: string;
  /** Empty when an external token has none. */
  jti: string;
  audiences: ReadonlySet<string>;
  scopes: string[];
  /** Milliseconds. */
  expiresAt: number;
  /** Milliseconds; for our tokens the exact issue time (revoke-all compares it). */
  issuedAt: number;
}
