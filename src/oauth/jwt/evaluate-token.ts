// Is this bearer JWT good right now, and whose is it? Verification is cached per token; what can change
// after issue — revocation (one jti, or all of a client's tokens before a time), the client and its
// consumer being disabled, their scopes — is checked on every call, from memory.
import type { Clock } from '../../lib/clock.js';
import { isStoreUnavailable } from '../../store/open.js';
import type { ClientPrincipal, ExternalPrincipal, PrincipalCache } from '../principals.js';
import type { RevocationList } from '../revocations.js';
import { deny, type JwtDenial } from './denials.js';
import { tokenHashOf, type TokenCache } from './token-cache.js';
import type { VerifiedToken } from './verified-token.js';
import { MAX_TOKEN_LENGTH, type AccessTokenVerifier } from './verify-access-token.js';

export type Evaluation =
  | {
      ok: true;
      token: VerifiedToken;
      principal: ClientPrincipal | ExternalPrincipal;
      /** The token's scopes that the client and consumer still allow. */
      scopes: string[];
    }
  | JwtDenial;

export interface EvaluateDeps {
  verify: AccessTokenVerifier;
  cache: TokenCache;
  revocations: RevocationList;
  principals: PrincipalCache;
  clock: Clock;
}

export function createTokenEvaluator({ verify, cache, revocations, principals, clock }: EvaluateDeps) {
  async function principalOf(token: VerifiedToken): Promise<ClientPrincipal | ExternalPrincipal | JwtDenial> {
    if (token.kind === 'local') {
      const principal = principals.peekClient(token.clientId) ?? (await principals.client(token.clientId));
      if (!principal) return deny('CLIENT_UNKNOWN', 'the client no longer exists');
      if (!principal.client.enabled) return deny('CLIENT_DISABLED', 'the client is disabled');
      const revokedBefore = principal.client.tokensRevokedBefore;
      if (revokedBefore !== null && token.issuedAt < revokedBefore) return deny('TOKEN_REVOKED', 'the token is revoked');
      if (!principal.consumer.enabled) return deny('CONSUMER_DISABLED', 'the consumer is disabled');
      return principal;
    }
    const principal = principals.peekExternal(token.issuer, token.subject) ?? (await principals.external(token.issuer, token.subject));
    if (!principal) return deny('CONSUMER_UNKNOWN', 'no consumer is mapped to this subject');
    if (!principal.consumer.enabled) return deny('CONSUMER_DISABLED', 'the consumer is disabled');
    return principal;
  }

  return async function evaluateToken(credential: string): Promise<Evaluation> {
    if (credential.length > MAX_TOKEN_LENGTH) return deny('TOKEN_TOO_LARGE', `tokens are limited to ${MAX_TOKEN_LENGTH} characters`);
    try {
      const tokenHash = tokenHashOf(credential);
      let token = cache.get(tokenHash);
      if (!token) {
        const verified = await verify(credential);
        if (!verified.ok) return verified;
        token = verified.token;
        cache.set(tokenHash, token);
      }
      if (token.expiresAt <= clock.now()) return deny('TOKEN_EXPIRED', 'the token has expired');
      if (token.jti !== '' && revocations.has(token.jti)) return deny('TOKEN_REVOKED', 'the token is revoked');
      const principal = await principalOf(token);
      if ('ok' in principal) return principal;
      const allowed = principal.scopeSet;
      return { ok: true, token, principal, scopes: token.scopes.filter((s) => allowed.has(s)) };
    } catch (error) {
      if (isStoreUnavailable(error)) return deny('STORE_UNAVAILABLE', 'credentials cannot be checked right now');
      throw error;
    }
  };
}

export type TokenEvaluator = ReturnType<typeof createTokenEvaluator>;
