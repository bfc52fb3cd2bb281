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
import { type AccessTokenVerifier, createAccessTokenVerifier } from './jwt/verify-access-token.js';
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

  const profileOptions = { now, ...(fetch ? { fetch } : {}), ...(onJwksError ? { onJwksError } : {}) };
  // Keyed by the issuer's whole entry: a reload that keeps an entry as it was keeps its JWKS cache;
  // a changed or removed entry's profile (and its cached keys) is dropped.
  let trusted = new Map(config.trustedIssuers.map((t) => [JSON.stringify(t), createTrustedIssuerProfile(t, profileOptions)]));
  const localProfile = createLocalProfile({
    issuer: settings.issuer,
    ring,
    clock,
    clockToleranceSeconds: settings.clockToleranceSeconds,
    maxTokenTtlSeconds: settings.maxTokenTtlSeconds,
  });
  let verifyNow = createAccessTokenVerifier({ profiles: [localProfile, ...trusted.values()], clock });
  // One reference swapped by a reload (replaceTrustedIssuers); a check under way finishes on the profiles it started with.
  const verify: AccessTokenVerifier = (token) => verifyNow(token);
  const evaluateToken = createTokenEvaluator({ verify, cache: tokenCache, revocations, principals, clock });
  const jwtAuthMethod = createJwtAuthMethod({ evaluateToken });

  return {
    ring,
    principals,
    revocations,
    tokenCache,
    /** The trusted issuers' profiles, as last configured. */
    get trusted() {
      return [...trusted.values()];
    },
    verify,
    evaluateToken,
    jwtAuthMethod,
    /**
     * A reload's trusted issuers (checked by the caller with checkOAuthSettings): new checks use them at
     * once, and every cached token verdict is dropped, so a token of a removed or changed issuer is
     * judged again, against the new list, on its next use.
     */
    replaceTrustedIssuers(configs: Config['trustedIssuers']): void {
      const next = new Map(configs.map((t) => [JSON.stringify(t), trusted.get(JSON.stringify(t)) ?? createTrustedIssuerProfile(t, profileOptions)]));
      trusted = next;
      verifyNow = createAccessTokenVerifier({ profiles: [localProfile, ...next.values()], clock });
      tokenCache.clear();
    },
    /** Adds the token revocations stored in [since, until) (other nodes' and the admin API's). */
    async readRevocations(since: number, until: number): Promise<void> {
      for (const entry of await store.listRevokedTokensSince(since, until)) revocations.add(entry.jti, entry.expiresAt);
    },
  };
}

export type TokenVerification = Awaited<ReturnType<typeof createTokenVerification>>;
