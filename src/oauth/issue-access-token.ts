// Mints an RFC 9068 access token: header typ at+jwt and kid; claims iss, sub (= client_id), client_id,
// aud, scope, iat, exp, jti — and nothing about the consumer.
import { PortcullisError } from '../errors/codes.js';
import type { SigningKeyRing } from './signing-keys/key-ring.js';
import { newTokenId } from './token-id.js';

export interface AccessTokenRequest {
  clientId: string;
  audiences: readonly string[];
  scopes: readonly string[];
  ttlSeconds: number;
  /** Milliseconds; goes into the jti, whole seconds into iat. */
  issuedAtMs: number;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  expiresAt: number;
}

export function createAccessTokenIssuer({ ring, issuer }: { ring: SigningKeyRing; issuer: string }) {
  return async function issueAccessToken(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const signer = ring.signer(request.issuedAtMs);
    if (!signer) throw new PortcullisError('SIGNING_UNAVAILABLE');
    const iat = Math.floor(request.issuedAtMs / 1000);
    const exp = iat + request.ttlSeconds;
    const jti = newTokenId(request.issuedAtMs);
    const token = await signer.sign({
      iss: issuer,
      sub: request.clientId,
      client_id: request.clientId,
      aud: request.audiences.length === 1 ? request.audiences[0] : request.audiences,
      scope: request.scopes.join(' '),
      iat,
      exp,
      jti,
    });
    return { token, jti, expiresIn: request.ttlSeconds, expiresAt: exp * 1000 };
  };
}

export type AccessTokenIssuer = ReturnType<typeof createAccessTokenIssuer>;
