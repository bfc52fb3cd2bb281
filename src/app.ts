// The composition root: builds every service once, from config, with injected clock and logger.
import { type Actor, createAuditLog, SYSTEM_ACTOR } from './audit/log.js';
import { ADMIN_CONSUMER_NAME, ADMIN_SCOPE } from './auth/admin-credential.js';
import { createAuthMethodRegistry } from './auth/registry.js';
import { type Change, type ChangeBus, createLocalChangeBus, createRedisChangeBus } from './cluster/changes.js';
import { createRedisStatus } from './cluster/redis-status.js';
import { startStoreSync } from './cluster/store-sync.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { createConsumerService } from './consumers/service.js';
import { resolveHygieneRules } from './hygiene/policy.js';
import { createHygieneScheduler } from './hygiene/scheduler.js';
import { createImportService } from './imports/service.js';
import { createApiKeyAuthMethod } from './keys/auth-method.js';
import { createKeyCache, type KeyCache } from './keys/cache.js';
import { createForeignKeyPresence } from './keys/foreign.js';
import { createLastUsedTracker } from './keys/last-used.js';
import { createKeyService, type IssuedKey } from './keys/service.js';
import { createKeyVerifier } from './keys/verify.js';
import { createLeakService } from './leaks/service.js';
import { type Clock, systemClock } from './lib/clock.js';
import { parseDuration } from './lib/duration.js';
import { registeredTracer } from './lib/tracing.js';
import { createLimiters } from './limits/limiter.js';
import { createLevelControl, createLogger, type Logger } from './logger.js';
import { createMailer } from './mail/create.js';
import { createMemberService } from './members/service.js';
import { createSessionService } from './members/sessions.js';
import { countStaleAnswers, instrumentKeyCache } from './metrics/key-cache.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { instrumentTokenEndpoint } from './metrics/token-endpoint.js';
import { createOAuth } from './oauth/create-oauth.js';
import { resolveMasterKey } from './oauth/master-key.js';
import { resolveIssuer } from './oauth/settings.js';
import type { RateLimiter } from './ratelimit/interface.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';
import { createUsageRecorder } from './usage/recorder.js';
import { createWebhookDelivery } from './webhooks/delivery.js';
import { createLimitEvents } from './webhooks/limit-events.js';
import { webhooksFromAudit } from './webhooks/outbox.js';
import { createWebhookService } from './webhooks/service.js';

export { ADMIN_CONSUMER_NAME, ADMIN_SCOPE } from './auth/admin-credential.js';

export interface AppOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** An already-open store (tests); otherwise opened from `config.store`. */
  store?: Store;
  /** Prometheus registry; a fresh one (without process metrics) when absent. */
  metrics?: Metrics;
  /**
   * The zero-config demo: without oauth.masterKey, one is generated and kept beside the demo database.
   * Otherwise no master key means no token signing (`portcullis start` refuses to run without one).
   */
  demo?: boolean;
  /**
   * A worker under a supervisor (src/server/supervisor.ts): without Redis, its changes reach its sibling
   * workers through the supervisor, and its limiters are the supervisor's node-wide ones. With Redis,
   * the change channel and the shared limiters are used as on any node, and this is ignored.
   */
  nodeShared?: { changes: ChangeBus; limiters: { requests: RateLimiter; bruteForce: RateLimiter } };
}

export async function createApp({ config, clock = systemClock, logger, store: givenStore, metrics = createMetrics(), demo = false, nodeShared }: AppOptions) {
  const heartbeatIntervalMs = parseDuration(config.cluster.heartbeatInterval);
  if (heartbeatIntervalMs < 100) throw new ConfigError('invalid configuration:\n  cluster.heartbeatInterval: must be at least 100ms');
  // Tracing is on when a tracer provider is registered (the SDK `portcullis start` loads, or a host
  // app's): decided once here, so the listeners check a null field, not the OTel API, per request.
  const tracer = registeredTracer();
  const log = logger ?? createLogger(config.log.level, undefined, { traceIds: tracer !== null });
  const masterKey = resolveMasterKey({ configured: config.oauth.masterKey, demo, store: config.store });
  const store = givenStore ?? openStore(config.store, { timeoutMs: parseDuration(config.storeTimeout) });
  // Until the app is built, what a failed step leaves open is closed again, so a start that fails
  // (a store it cannot migrate, signing keys another master key sealed) leaves no Redis connection
  // or pool keeping the process alive.
  const openedSoFar: Array<() => Promise<void>> = givenStore ? [] : [() => store.close()];
  async function failed(error: unknown): Promise<never> {
    for (const close of openedSoFar.reverse()) await close().catch(() => {});
    throw error;
  }
  await store.migrate().catch(failed);
  // A wrong or unreachable Redis does not stop the node (it fails soft), so its state is logged and on /readyz.
  const redisStatus = config.redis ? createRedisStatus({ url: config.redis, log, now: () => clock.now() }) : undefined;
  const followRedis = redisStatus ? { followRedis: redisStatus.follow } : {};
  // Nodes sharing Redis tell each other of changes at once; without Redis the store sync below does it.
  // Their heartbeats on the same channel give the live-node count that per-node limits are divided by in an outage.
  const changes = config.redis
    ? createRedisChangeBus({ url: config.redis, channel: `${config.redisKeyPrefix}changes`, log, clock, heartbeatIntervalMs, ...followRedis })
    : (nodeShared?.changes ?? createLocalChangeBus());
  openedSoFar.push(() => changes.close());
  metrics.readLiveNodes(() => changes.liveNodes());
  const limiters = createLimiters({
    redisUrl: config.redis,
    redisPrefix: `${config.redisKeyPrefix}rl:`,
    clock,
    log,
    onFallbackCheck: () => metrics.rateLimitFallback(),
    liveNodes: () => changes.liveNodes(),
    ...(nodeShared ? { local: nodeShared.limiters } : {}),
    ...followRedis,
  });
  openedSoFar.push(() => limiters.close());
  const publish = (change: Change) => changes.publish(change);
  const prefix = config.keys.prefix;
  const cache = instrumentKeyCache(
    createKeyCache({
      maxEntries: config.keys.cache.maxEntries,
      ttlMs: parseDuration(config.keys.cache.ttl),
      negativeTtlMs: parseDuration(config.keys.cache.negativeTtl),
      staleIfErrorMs: parseDuration(config.keys.cache.staleIfError),
      now: () => clock.now(),
    }),
    metrics,
  );
  const staleAnswer = countStaleAnswers(metrics.registry);
  // Recording an audit event also writes its webhook messages, in the change's transaction, and
  // wakes this node's delivery worker (an idle one polls seldom).
  let wakeDelivery = () => {};
  const audit = createAuditLog({
    clock,
    onRecord: async (tx, event) => {
      if ((await webhooksFromAudit(tx, event)) > 0) wakeDelivery();
    },
  });
  const oauth = await createOAuth({
    audit,
    config,
    store,
    clock,
    log,
    masterKey,
    bruteForce: limiters.bruteForce,
    publish,
    onStaleAnswer: () => staleAnswer('jwt'),
    instrumentToken: (token) => instrumentTokenEndpoint(token, metrics),
  }).catch(failed);
  // Keys imported in another system's format are looked up only while the store holds some (keys/foreign.ts).
  const foreignKeys = createForeignKeyPresence(store);
  await foreignKeys.refresh().catch(failed);
  // How other nodes' changes reach this one (the change channel and the store sync) and what a change drops here.
  const storeSync = startStoreSync({
    store,
    clock,
    log,
    changes,
    keyCache: cache,
    tokens: oauth,
    housekeeping: oauth.housekeeping,
    intervalMs: oauth.settings.syncIntervalMs,
    onKeysChanged: () => foreignKeys.refresh(),
  });

  const lastUsed = createLastUsedTracker(store, (error) => log.warn({ err: error }, 'could not record key usage; will retry'));
  const usage = createUsageRecorder({
    store,
    clock,
    retentionMs: parseDuration(config.usage.retention),
    onError: (error) => log.warn({ err: error }, 'could not write usage counts; will retry'),
  });
  const consumers = createConsumerService({
    store,
    clock,
    audit,
    onChange: (id) => {
      storeSync.apply({ kind: 'consumer', id });
      publish({ kind: 'consumer', id });
    },
  });
  // The key service drops cache entries of keys it changed; other nodes drop theirs too.
  const keyChanges: KeyCache = {
    ...cache,
    get size() {
      return cache.size;
    },
    delete(hash) {
      cache.delete(hash);
      publish({ kind: 'key', hash });
    },
  };
  const hygieneRules = resolveHygieneRules(config.hygiene);
  const keys = createKeyService({ store, clock, audit, cache: keyChanges, prefix, hygiene: hygieneRules });
  const hygieneIntervalMs = parseDuration(config.hygiene.interval);
  if (hygieneIntervalMs < 1000) throw new ConfigError('invalid configuration:\n  hygiene.interval: must be at least 1s');
  // Started by the server start (src/server/start.ts), not here: an app in a test or a CLI command runs it on demand.
  const hygiene = createHygieneScheduler({
    store,
    clock,
    audit,
    rules: hygieneRules,
    log,
    intervalMs: hygieneIntervalMs,
    onKeyDisabled: (hash) => keyChanges.delete(hash),
  });
  const leaks = createLeakService({ store, clock, audit, cache: keyChanges, policy: config.leaks.policy, prefix });
  const verifyKey = createKeyVerifier({
    store,
    cache,
    clock,
    prefix,
    onValid: (id, at) => lastUsed.touch(id, at),
    onStale: () => staleAnswer('api-key'),
    foreignKeys,
  });
  // The gateway's authentication methods by name; the JWT method registers here too
  // (`authMethods.register(jwtMethod)`), and the gateway and library mode look methods up per request.
  const authMethods = createAuthMethodRegistry([createApiKeyAuthMethod({ verifyKey }), oauth.jwtAuthMethod]);

  // Imports from another system (src/imports): written in batches, idempotent by external id.
  const imports = createImportService({
    store,
    clock,
    keyPrefix: prefix,
    secretPrefix: oauth.settings.clientSecretPrefix,
    defaultTokenTtlSeconds: oauth.settings.tokenTtlSeconds,
    maxTokenTtlSeconds: oauth.settings.maxTokenTtlSeconds,
    foreignKeys,
    forgetUnknown: (hash) => cache.delete(hash),
  });

  /** Creates an admin key (and the admin consumer on first use). */
  async function createAdminKey(name: string, actor: Actor = SYSTEM_ACTOR): Promise<IssuedKey> {
    let consumer = await store.findConsumerByName(ADMIN_CONSUMER_NAME);
    if (!consumer) {
      consumer = await consumers.create({ name: ADMIN_CONSUMER_NAME, scopes: [ADMIN_SCOPE], metadata: { role: 'operator' } }, actor);
    }
    const issued = await keys.create(consumer.id, { name, scopes: [ADMIN_SCOPE] }, actor);
    await audit.record(store, actor, 'admin_key.created', { type: 'key', id: issued.record.id }, { masked: issued.record.masked });
    return issued;
  }

  async function hasAdminConsumer(): Promise<boolean> {
    return (await store.findConsumerByName(ADMIN_CONSUMER_NAME)) !== undefined;
  }

  // The developer portal's accounts and mail (its HTTP side, src/portal/, is on the public listener).
  const portalSettings = { ...config.portal, publicUrl: (config.portal.publicUrl ?? resolveIssuer(config)).replace(/\/+$/, '') };
  const mailer = createMailer({ smtp: config.portal.smtp, from: config.portal.mailFrom, store, clock });
  const sessions = createSessionService({
    store,
    clock,
    idleMs: parseDuration(config.portal.sessionIdleTimeout),
    maxAgeMs: parseDuration(config.portal.sessionMaxAge),
  });
  const members = createMemberService({
    store,
    clock,
    audit,
    consumers,
    mailer,
    bruteForce: limiters.bruteForce,
    log,
    settings: config.portal,
    links: { publicUrl: portalSettings.publicUrl, path: config.portal.path },
  });

  // Webhooks: endpoints and their delivery log; the delivery worker runs once the server starts it.
  const webhooks = createWebhookService({ store, clock, audit, masterKey, allowPrivateNetworks: config.webhooks.allowPrivateNetworks });
  const webhookDelivery = createWebhookDelivery({
    store,
    clock,
    log,
    masterKey,
    settings: {
      timeoutMs: parseDuration(config.webhooks.timeout),
      retryWindowMs: parseDuration(config.webhooks.retryWindow),
      maxAttempts: config.webhooks.maxAttempts,
      disableAfterFailures: config.webhooks.disableAfterFailures,
      allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
      pollIntervalMs: parseDuration(config.webhooks.pollInterval),
    },
    onDisabled: (tx, endpoint, reason) =>
      audit.record(tx, SYSTEM_ACTOR, 'webhook.disabled', { type: 'webhook', id: endpoint.id }, { consumerId: endpoint.consumerId, reason }),
  });

  wakeDelivery = () => webhookDelivery.wake();
  // quota.threshold and ratelimit.exceeded: queued by the gateway's limits path, written with the usage flush's interval.
  const limitEvents = createLimitEvents({
    store,
    clock,
    onError: (error) => log.warn({ err: error }, 'could not write limit webhook events; will retry'),
    onWritten: wakeDelivery,
  });

  lastUsed.start(parseDuration(config.keys.lastUsedFlushInterval));
  limitEvents.start(parseDuration(config.usage.flushInterval));
  usage.start(parseDuration(config.usage.flushInterval));

  return {
    config,
    clock,
    log,
    /** The tracer of the registered provider; null when tracing is off. */
    tracer,
    /** The audit log (each service records its own changes; the server records config reloads, an admin route a node restart). */
    audit,
    /** The log level (a reload changes it) and the long-lived child loggers that follow it. */
    logs: createLevelControl(log),
    store,
    cache,
    lastUsed,
    usage,
    limiters,
    changes,
    storeSync,
    /** Set when `redis` is configured: whether this node reaches it. */
    redisStatus,
    consumers,
    keys,
    leaks,
    /** Key hygiene: expiry warnings, expiry notices, disabling unused keys (docs/lifecycle.md). */
    hygiene,
    verifyKey,
    foreignKeys,
    imports,
    authMethods,
    metrics,
    oauth,
    createAdminKey,
    hasAdminConsumer,
    /** The portal's settings, `publicUrl` resolved (links in emails start with it). */
    portal: portalSettings,
    mailer,
    sessions,
    members,
    webhooks,
    webhookDelivery,
    limitEvents,
    async close() {
      await hygiene.stop();
      await limitEvents.stop();
      await webhookDelivery.stop();
      await lastUsed.stop();
      await usage.stop();
      await limiters.close();
      await storeSync.stop();
      await changes.close();
      await mailer.close();
      await store.close();
    },
  };
}

export type App = Awaited<ReturnType<typeof createApp>>;
