// The gateway's check of a bearer JWT — ours (signing keys from the store) or a trusted issuer's —
// built from config and the store. createOAuth (the gateway) and library mode's in-process verifier
// both use it, so a token is judged the same way wherever it is presented.
import { type AuditLog, createAuditLog, SYSTEM_ACTOR } from '../audit/log.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import type { Store } from '../store/types.js';
import { createJwtAuthMethod } from './jwt/auth-method.js';
import { createTokenEvaluator } from './jwt/evaluate-token.js';
import { createTokenCache } from './jwt/token-cache.js';
import { createAccessTokenVerifier } from './jwt/verify-access-token.js';
import { createLocalProfile } from './local-profile.js';
import { createPrincipalCache } from './principals.js';
import { createRevocationList } from './revocations.js';
import type { OAuthSettings } from './settings.js';
import { createSigningKeyRing } from './signing-keys/key-ring.js';
import { createTrustedIssuerProfile } from './trusted-issuers/profile.js';

/** Revocations are read with this much overlap, so clock skew between nodes loses none. */
export const SYNC_OVERLAP_MS = 5000;

export interface TokenVerificationDeps {
  config: Config;
  settings: OAuthSettings;
  store: Store;
  clock: Clock;
  /** Absent: the ring only verifies (it loads the public keys; library mode, the CLI on a store). */
  masterKey: Buffer | undefined;
  /** Where a rotation is recorded (default: a new audit log on the same clock). */
  audit?: AuditLog;
  /** For tests: how trusted issuers' JWKS are fetched. */
  fetch?: typeof fetch;
  onJwksError?: (issuer: string, reason: string) => void;
  onStaleAnswer?: () => void;
  /** Told after this node rotated its signing key. */
  onRotated?: () => void;
}

export async function createTokenVerification({
  config,
  settings,
  store,
  clock,
  masterKey,
  audit,
  fetch,
  onJwksError,
  onStaleAnswer,
  onRotated,
}: TokenVerificationDeps) {
  const now = () => clock.now();
  const ring = createSigningKeyRing({
    store,
    clock,
    masterKey,
    alg: settings.signingAlg,
    jwksCacheMaxAgeMs: settings.jwksCacheMaxAgeMs,
    maxTokenTtlMs: settings.maxTokenTtlSeconds * 1000,
    clockToleranceMs: settings.clockToleranceSeconds * 1000,
    rotateEveryMs: settings.rotateSigningKeyEveryMs,
    audit: audit ?? createAuditLog({ clock }),
    ...(onRotated ? { onRotated } : {}),
  });
  if (masterKey) await ring.ensureSigningKey(SYSTEM_ACTOR);
  else await ring.load();

  const principals = createPrincipalCache({
    store,
    now,
    ttlMs: settings.principalCacheTtlMs,
    negativeTtlMs: parseDuration(config.keys.cache.negativeTtl),
    staleIfErrorMs: parseDuration(config.keys.cache.staleIfError),
    ...(onStaleAnswer ? { onStale: onStaleAnswer } : {}),
  });
  const revocations = createRevocationList();
  for (const entry of await store.listRevokedTokensSince(0, clock.now())) revocations.add(entry.jti, entry.expiresAt);
  const tokenCache = createTokenCache({ maxEntries: settings.tokenCacheMaxEntries });

  const trusted = config.trustedIssuers.map((t) =>
    createTrustedIssuerProfile(t, { now, ...(fetch ? { fetch } : {}), ...(onJwksError ? { onJwksError } : {}) }),
  );
  const localProfile = createLocalProfile({
    issuer: settings.issuer,
    ring,
    clock,
    clockToleranceSeconds: settings.clockToleranceSeconds,
    maxTokenTtlSeconds: settings.maxTokenTtlSeconds,
  });
  const verify = createAccessTokenVerifier({ profiles: [localProfile, ...trusted], clock });
  const evaluateToken = createTokenEvaluator({ verify, cache: tokenCache, revocations, principals, clock });
  const jwtAuthMethod = createJwtAuthMethod({ evaluateToken });

  return {
    ring,
    principals,
    revocations,
    tokenCache,
    trusted,
    verify,
    evaluateToken,
    jwtAuthMethod,
    /** Adds the token revocations stored in [since, until) (other nodes' and the admin API's). */
    async readRevocations(since: number, until: number): Promise<void> {
      for (const entry of await store.listRevokedTokensSince(since, until)) revocations.add(entry.jti, entry.expiresAt);
    },
  };
}

export type TokenVerification = Awaited<ReturnType<typeof createTokenVerification>>;
