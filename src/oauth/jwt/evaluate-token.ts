// Is this bearer JWT good right now, and whose is it? Verification is cached per token, with the
// instants it holds between (exp; nbf, iat and maxTokenAge with their leeway; the verifying key's
// removal) and the version of its issuer's key set, so a cached verdict never outlives what made it
// true. What can change after issue — revocation (one jti, or all of a client's tokens before a
// time), the client and its consumer being disabled, their scopes — is checked on every call, from memory.
//
// The hot path (token and principal both cached) is synchronous: `evaluateToken` returns a value, not
// a promise, and the identity is built once per token and principal (bench/token.ts).
import type { Identity } from '../../auth/types.js';
import type { Clock } from '../../lib/clock.js';
import { isStoreUnavailable } from '../../store/errors.js';
import type { ClientPrincipal, ExternalPrincipal, PrincipalCache } from '../principals.js';
import type { RevocationList } from '../revocations.js';
import { deny, type JwtDenial } from './denials.js';
import { type TokenCache, tokenHashOf } from './token-cache.js';
import type { VerifiedToken } from './verified-token.js';
import { type AccessTokenVerifier, MAX_TOKEN_LENGTH } from './verify-access-token.js';

export interface Accepted {
  ok: true;
  token: VerifiedToken;
  principal: ClientPrincipal | ExternalPrincipal;
  /** The token's scopes that the client and consumer still allow. */
  scopes: string[];
  scopeSet: ReadonlySet<string>;
  identity: Identity;
}

export type Evaluation = Accepted | JwtDenial;

export interface EvaluateDeps {
  verify: AccessTokenVerifier;
  cache: TokenCache;
  revocations: RevocationList;
  principals: PrincipalCache;
  clock: Clock;
}

/** The gateway's look-ups may answer from a stale client or consumer while the store is unreachable. */
const STALE_IF_ERROR = Object.freeze({ staleIfError: true });

/** The answer for one token and one principal object; principals are replaced, never mutated, on change. */
const accepted = new WeakMap<VerifiedToken, { principal: object; answer: Accepted }>();

function acceptance(token: VerifiedToken, principal: ClientPrincipal | ExternalPrincipal): Accepted {
  const memo = accepted.get(token);
  if (memo && memo.principal === principal) return memo.answer;
  const allowed = principal.scopeSet;
  const scopes = token.scopes.filter((s) => allowed.has(s));
  const { consumer } = principal;
  const client = 'client' in principal ? principal.client : null;
  const answer: Accepted = {
    ok: true,
    token,
    principal,
    scopes,
    scopeSet: new Set(scopes),
    identity: {
      consumerId: consumer.id,
      consumerName: consumer.name,
      metadata: consumer.metadata,
      scopes,
      credential: { type: 'jwt', clientId: token.clientId, jti: token.jti, issuer: token.issuer },
      credentialId: token.credentialId,
      limits: {
        consumer: { rateLimit: consumer.rateLimit, quota: consumer.quota },
        credential: { rateLimit: client?.rateLimit ?? null, quota: client?.quota ?? null },
      },
      ...(principal.allowlist ? { allowlist: principal.allowlist } : {}),
    },
  };
  accepted.set(token, { principal, answer });
  return answer;
}

export function createTokenEvaluator({ verify, cache, revocations, principals, clock }: EvaluateDeps) {
  /** The checks that do not involve the signature, in order; pure over what is in memory. */
  function judge(token: VerifiedToken, principal: ClientPrincipal | ExternalPrincipal | null, now: number): Evaluation {
    if (token.expiresAt <= now) return deny('TOKEN_EXPIRED', 'the token has expired');
    if (token.jti !== '' && revocations.has(token.jti)) return deny('TOKEN_REVOKED', 'the token is revoked');
    if (token.kind === 'local') {
      if (!principal) return deny('CLIENT_UNKNOWN', 'the client no longer exists');
      const { client } = principal as ClientPrincipal;
      if (!client.enabled) return deny('CLIENT_DISABLED', 'the client is disabled');
      if (client.tokensRevokedBefore !== null && token.issuedAt < client.tokensRevokedBefore) return deny('TOKEN_REVOKED', 'the token is revoked');
    } else if (!principal) {
      return deny('CONSUMER_UNKNOWN', 'no consumer is mapped to this subject');
    }
    if (!principal.consumer.enabled) return deny('CONSUMER_DISABLED', 'the consumer is disabled');
    return acceptance(token, principal);
  }

  /**
   * A cached token outside its instants, or cached under an older version of its issuer's keys: true
   * when its key still verifies (the entry is brought up to date), false when it must be verified afresh.
   */
  function stillValid(token: VerifiedToken, now: number): boolean {
    const keySet = token.keySet;
    if (token.keyEpoch !== keySet.epoch) {
      const epoch = keySet.epoch;
      const until = keySet.keyValidUntil(token.kid, token.key, now);
      if (until === undefined) return false;
      token.validUntil = Math.min(token.tooOldAt, until);
      token.keyEpoch = epoch;
    }
    return now >= token.validFrom && now < token.validUntil;
  }

  const peek = (token: VerifiedToken) =>
    token.kind === 'local' ? principals.peekClient(token.clientId) : principals.peekExternal(token.issuer, token.subject);

  async function slowPath(credential: string, tokenHash: string, cached: VerifiedToken | undefined): Promise<Evaluation> {
    try {
      let token = cached;
      if (!token) {
        const verified = await verify(credential);
        if (!verified.ok) return verified;
        token = verified.token;
        if (token.expiresAt > clock.now()) cache.set(tokenHash, token);
      }
      const principal =
        token.kind === 'local'
          ? await principals.client(token.clientId, STALE_IF_ERROR)
          : await principals.external(token.issuer, token.subject, STALE_IF_ERROR);
      return judge(token, principal ?? null, clock.now());
    } catch (error) {
      if (isStoreUnavailable(error)) return deny('STORE_UNAVAILABLE', 'credentials cannot be checked right now');
      throw error;
    }
  }

  /** A value when everything needed is cached, else a promise. */
  return function evaluateToken(credential: string): Evaluation | Promise<Evaluation> {
    if (credential.length > MAX_TOKEN_LENGTH) return deny('TOKEN_TOO_LARGE', `tokens are limited to ${MAX_TOKEN_LENGTH} characters`);
    const tokenHash = tokenHashOf(credential);
    const token = cache.get(tokenHash);
    if (token) {
      const now = clock.now();
      if (token.expiresAt <= now) {
        cache.delete(tokenHash);
        return deny('TOKEN_EXPIRED', 'the token has expired');
      }
      // Verified afresh, the token gets the exact answer (TOKEN_KEY_UNKNOWN, TOKEN_TOO_OLD, …).
      if ((now < token.validFrom || now >= token.validUntil || token.keyEpoch !== token.keySet.epoch) && !stillValid(token, now)) {
        cache.delete(tokenHash);
        return slowPath(credential, tokenHash, undefined);
      }
      const principal = peek(token);
      if (principal !== undefined) return judge(token, principal, now);
    }
    return slowPath(credential, tokenHash, token);
  };
}

export type TokenEvaluator = ReturnType<typeof createTokenEvaluator>;
