// What a verified access token says, reduced to what authorisation needs. Kept in the token cache,
// together with the instants its verification stops (or starts) being true, so a cached verdict is
// never more lenient than a fresh verification at the same instant.
import type { KeyObject } from 'node:crypto';

/**
 * One issuer's verification keys, as cached tokens see them: `epoch` is bumped whenever the set is
 * reloaded or refetched (a key added, rescheduled or removed), and a token cached under another epoch
 * has its key checked again (`keyValidUntil`) before it is trusted.
 */
export interface KeySet {
  epoch: number;
  /** Until when (ms; Infinity if not scheduled) `key` still verifies as `kid`, or undefined if it no longer does. */
  keyValidUntil(kid: string | undefined, key: KeyObject, now: number): number | undefined;
}

export interface VerifiedToken {
  kind: 'local' | 'external';
  issuer: string;
  /** Our tokens: client_id. External ones: client_id, else azp, else sub. */
  clientId: string;
  /**
   * The id usage, limits and X-Credential-Id know the credential by: our client_id, or for a trusted
   * issuer `<issuer>#<clientId>`, which no local client id can equal (see docs/oauth.md).
   */
  credentialId: string;
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
  /** Milliseconds: refused before this (nbf, or iat, less the leeway). */
  validFrom: number;
  /** Milliseconds: refused from this on (iat + maxTokenAge + leeway, or when its key leaves the issuer's set). */
  validUntil: number;
  /** Milliseconds: iat + maxTokenAge + leeway alone (validUntil is the earlier of this and the key's end). */
  tooOldAt: number;
  /** The key the signature was verified with, its kid, and the version of its issuer's set then. */
  kid: string | undefined;
  key: KeyObject;
  keySet: KeySet;
  keyEpoch: number;
}
