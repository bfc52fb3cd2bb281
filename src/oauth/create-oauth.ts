// Builds the OAuth side of Portcullis from config and ports (called once by the composition root):
// the signing-key ring, clients, the token endpoint, JWT verification for the gateway, introspection,
// revocation, and the housekeeping of expired rows. What other nodes change reaches this node's state
// through src/cluster/store-sync.ts.
import { type AuditLog, createAuditLog, SYSTEM_ACTOR } from '../audit/log.js';
import type { Change } from '../cluster/changes.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import type { Logger } from '../logger.js';
import type { RateLimiter } from '../ratelimit/interface.js';
import { createMemoryRateLimiter } from '../ratelimit/memory.js';
import type { Store } from '../store/types.js';
import { createClientAuthenticator } from './clients/authenticate.js';
import { createGuardedClientAuthenticator } from './clients/guarded-authenticate.js';
import { createClientService } from './clients/service.js';
import { createFailureLimiter } from './failure-limiter.js';
import { createClientCredentialsGrant } from './grants/client-credentials.js';
import { createGrantRegistry } from './grants/registry.js';
import { createIntrospector } from './introspect.js';
import { createAccessTokenIssuer } from './issue-access-token.js';
import { authorizationServerMetadata } from './metadata.js';
import { createRevoker } from './revoke.js';
import { checkOAuthSettings, resolveOAuthSettings } from './settings.js';
import { createTokenEndpoint, type TokenEndpoint } from './token-endpoint.js';
import { createTokenVerification } from './token-verification.js';

export interface OAuthDeps {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  /** Absent: everything but signing and rotation works (the CLI on a store, tests of other areas). */
  masterKey: Buffer | undefined;
  /** Counts failed client authentications; the app passes its brute-force limiter (Redis-backed when configured). */
  bruteForce?: RateLimiter;
  /** For tests: how trusted issuers' JWKS are fetched. */
  fetch?: typeof fetch;
  /** Tells other nodes of this node's changes (src/cluster/changes.ts). */
  publish?: (change: Change) => void;
  /** Told of each token check answered from a stale client or consumer entry (stale-if-error; a metric). */
  onStaleAnswer?: () => void;
  /** Wraps the token endpoint (the app counts and times its answers: src/metrics/token-endpoint.ts). */
  instrumentToken?: (token: TokenEndpoint) => TokenEndpoint;
  /** The app's audit log (it writes webhook messages); one of its own when absent. */
  audit?: AuditLog;
}

export async function createOAuth({
  config,
  store,
  clock,
  log,
  masterKey,
  bruteForce,
  fetch,
  publish = () => {},
  onStaleAnswer,
  instrumentToken = (token) => token,
  audit = createAuditLog({ clock }),
}: OAuthDeps) {
  const settings = resolveOAuthSettings(config);
  const problems = checkOAuthSettings(settings, config.trustedIssuers);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const now = () => clock.now();

  const verification = await createTokenVerification({
    config,
    settings,
    store,
    clock,
    masterKey,
    audit,
    ...(fetch ? { fetch } : {}),
    ...(onStaleAnswer ? { onStaleAnswer } : {}),
    onJwksError: (issuer, reason) => log.warn({ issuer, reason }, 'could not fetch the JWKS of a trusted issuer; cached keys stay in use'),
    onRotated: () => publish({ kind: 'signing-keys' }),
  });
  const { ring, principals, revocations, tokenCache, verify, evaluateToken, jwtAuthMethod, readRevocations } = verification;

  const clients = createClientService({
    store,
    clock,
    audit,
    secretPrefix: settings.clientSecretPrefix,
    defaultTokenTtlSeconds: settings.tokenTtlSeconds,
    maxTokenTtlSeconds: settings.maxTokenTtlSeconds,
    onChange: (clientId) => {
      principals.invalidateClient(clientId);
      publish({ kind: 'client', id: clientId });
    },
  });

  const authenticateClient = createClientAuthenticator({
    principals,
    store,
    now,
    audiences: [settings.issuer, settings.tokenEndpoint],
    clockToleranceSeconds: settings.clockToleranceSeconds,
    assertionMaxLifetimeMs: settings.assertionMaxLifetimeMs,
  });
  const issueAccessToken = createAccessTokenIssuer({ ring, issuer: settings.issuer });
  const grants = createGrantRegistry({ client_credentials: createClientCredentialsGrant({ issueAccessToken, issuer: settings.issuer }) });
  const failures = bruteForce ?? createMemoryRateLimiter({ clock });
  const failureLimiter = (limit: number) => createFailureLimiter(failures, { limit, windowMs: settings.failedAuth.windowMs, now });
  const authenticateRequest = createGuardedClientAuthenticator({
    authenticateClient,
    failuresPerClientAndIp: failureLimiter(settings.failedAuth.perClientAndIp),
    failuresPerClient: failureLimiter(settings.failedAuth.perClient),
    failuresPerIp: failureLimiter(settings.failedAuth.perIp),
  });
  const token = instrumentToken(createTokenEndpoint({ grants, authenticateRequest, now }));

  let trustedIssuers = config.trustedIssuers;
  const longestTokenLifeMs = () => Math.max(settings.maxTokenTtlSeconds * 1000, ...trustedIssuers.map((t) => parseDuration(t.maxTokenAge))) + 60_000;
  const revoker = createRevoker({
    store,
    clock,
    audit,
    revocations,
    verify,
    longestTokenLifeMs,
    onRevoked: (jti, expiresAt) => publish({ kind: 'token', jti, expiresAt }),
  });
  const introspect = createIntrospector({ evaluateToken });

  /** Clean-ups (secrets, denylist, assertion jtis) and the scheduled signing-key rotation; the store sync runs it every few passes. */
  async function housekeeping(): Promise<void> {
    const at = clock.now();
    await ring.tick(SYSTEM_ACTOR);
    await store.deleteClientSecretsExpiredBefore(at);
    await store.deleteRevokedTokensExpiredBefore(at);
    await store.deleteAssertionJtisExpiredBefore(at);
  }

  return {
    settings,
    ring,
    clients,
    principals,
    revocations,
    tokenCache,
    get trustedIssuers() {
      return verification.trusted;
    },
    /** A reload's `trustedIssuers`: checked like at start (a ConfigError names the field), then in use for the next token. */
    replaceTrustedIssuers(next: Config['trustedIssuers']): void {
      const nextProblems = checkOAuthSettings(settings, next);
      if (nextProblems.length > 0) throw new ConfigError(`invalid configuration:\n  ${nextProblems.join('\n  ')}`);
      verification.replaceTrustedIssuers(next);
      trustedIssuers = next;
    },
    jwtAuthMethod,
    evaluateToken,
    verifyAccessToken: verify,
    issueAccessToken,
    token,
    authenticateRequest,
    introspect,
    revoker,
    readRevocations,
    housekeeping,
    metadata: () => authorizationServerMetadata(settings.issuer, [settings.signingAlg]),
    jwks: () => ring.jwks(clock.now()),
  };
}

export type OAuth = Awaited<ReturnType<typeof createOAuth>>;
