// `portcullis start`: open the store, build the services, listen, then create the first admin key
// (and the demo's) if there is none and print the banner (src/server/banner.ts).
import type { FastifyInstance } from 'fastify';
import type { ReloadRequest } from '../admin/reload-schemas.js';
import { buildAdminServer } from '../admin/server.js';
import { ADMIN_SCOPE, type App, createApp } from '../app.js';
import type { WorkerLink } from '../cluster/worker-link.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import type { ApiConfig } from '../config/schema.js';
import { ensureDemoOpenApi } from '../demo/echo-openapi.js';
import { startEchoUpstream } from '../demo/echo-upstream.js';
import { type DemoCredentials, demoApi, demoPortalLinks, ensureDemoConsumer } from '../demo/setup.js';
import { PortcullisError } from '../errors/codes.js';
import { configDir } from '../gateway/compile-apis.js';
import { type RunningGateway, startGateway } from '../gateway/start.js';
import { registerGithubLeakRoute } from '../leaks/github-routes.js';
import type { Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { urlOf } from '../lib/listener-url.js';
import { reservePort } from '../lib/reserved-port.js';
import { keepTickShape } from '../lib/tick-shape.js';
import type { Logger } from '../logger.js';
import { createMetrics } from '../metrics/registry.js';
import { registerOAuthRoutes } from '../oauth/routes.js';
import { registerPortal } from '../portal/plugin.js';
import { startBanner } from './banner.js';
import { type DrainOptions, deadlineAfter, drainServer, trackConnections } from './drain.js';
import { readiness } from './health.js';
import { createReloader, type Reloader, type ReloadOptions, type ReloadOutcome } from './reload.js';
import { startTracingSdk } from './tracing-sdk.js';

export interface RunningPortcullis {
  app: App;
  admin: FastifyInstance;
  adminUrl: string;
  /** The public listener: the gateway and the routes other modules register on it. */
  gateway: RunningGateway;
  gatewayUrl: string;
  /** Set on the run that created the first admin key. */
  firstAdminKey: string | null;
  /** Demo mode (no config file): the demo consumer; its key only on the run that created it. */
  demo: DemoCredentials | null;
  /**
   * Graceful shutdown (what SIGTERM and SIGINT do): /readyz answers 503, both listeners stop accepting
   * and answer with `Connection: close`, idle connections close at once, usage and last-used times are
   * flushed; in-flight requests finish, and what is still open after `shutdown.gracePeriod` is closed.
   */
  close(options?: DrainOptions): Promise<void>;
  /**
   * Re-reads the config file (what SIGHUP does): APIs, OpenAPI documents, trusted issuers, log level.
   * Throws a PortcullisError when it refuses (CONFIG_INVALID, RELOAD_UNAVAILABLE in the demo,
   * RELOAD_IN_PROGRESS); the running config then stays. See src/server/reload.ts.
   */
  reload(options?: ReloadOptions): Promise<ReloadOutcome>;
}

export interface StartOptions {
  loaded: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  /** Where the start banner goes; stderr by default, so that stdout carries only log lines. */
  print?: (text: string) => void;
  /** Extra routes on the public listener; they take precedence over API base paths. */
  registerPublic?: (server: FastifyInstance, app: App) => void | Promise<void>;
  /** How a reload reads the config file again; by default `loadConfig` on the same path and process.env. */
  readConfig?: () => LoadedConfig;
  /**
   * What POST /admin/v1/reload runs instead of this process's own reload: a supervisor's reload of
   * every worker (which calls each worker's `reload`, with `audit` on one of them only).
   */
  requestReload?: ReloadRequest;
  /**
   * One worker of `portcullis start` under a supervisor (src/server/supervisor.ts): node-wide state through
   * it, `/metrics` for the whole node; the first admin key and the banner are the supervisor's, not this start's.
   */
  worker?: WorkerLink;
}

/**
 * What a Portcullis server sets for its whole process, before anything is built. Only the server
 * start does this, never `createApp`: an app that embeds Portcullis (library mode, tests) keeps its
 * process as it was. Idempotent.
 */
export function applyProcessWideSettings(): void {
  // Before the first idle full GC could clear nextTick's shapes (see lib/tick-shape.ts).
  keepTickShape();
}

/** How long a start waits for Redis' first answer, so that the start log says whether it is reachable. */
const REDIS_START_WAIT_MS = 1_500;

export async function startPortcullis({
  loaded,
  clock,
  logger,
  print = (t) => process.stderr.write(t),
  registerPublic,
  readConfig = () => loadConfig({ path: loaded.path ?? undefined }),
  requestReload,
  worker,
}: StartOptions): Promise<RunningPortcullis> {
  applyProcessWideSettings();
  // Before the app is built: it decides from the registered tracer provider whether to trace.
  const tracing = await startTracingSdk(process.env);
  const stopTracing = async () => {
    if (tracing.state === 'started') await tracing.shutdown();
  };
  const metrics = createMetrics({ processMetrics: true });
  // listen.port 0: the port is bound first, so the issuer and the portal's links carry the real one.
  const reserved = loaded.config.listen.port === 0 ? await reservePort(loaded.config.listen.host) : null;
  const config = reserved ? { ...loaded.config, listen: { ...loaded.config.listen, port: reserved.port } } : loaded.config;
  const nodeShared = worker ? { nodeShared: { changes: worker.changes, limiters: worker.limiters } } : {};
  const app = await createApp({ config, metrics, demo: loaded.demo, ...nodeShared, ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) }).catch(
    async (error: unknown) => {
      await reserved?.release();
      await stopTracing().catch(() => {});
      throw error;
    },
  );
  // What is open, closed in reverse when a later step fails: a failed start leaves nothing running
  // (no listener, no echo upstream, no store), so the CLI's process ends with its exit code.
  // Tracing stops last, so the spans of the last requests are exported.
  const opened: Array<() => Promise<void>> = [stopTracing, () => app.close(), ...(reserved ? [reserved.release] : [])];
  if (tracing.state === 'missing' || tracing.state === 'failed') app.log.warn(tracing.message);
  else if (tracing.state !== 'off') app.log.info({ tracing: tracing.state === 'started' ? 'OTEL_* environment' : 'host provider' }, 'tracing on');
  let draining = false;
  async function closeOpened(): Promise<void> {
    let failure: unknown;
    for (const close of [...opened].reverse()) await close().catch((error: unknown) => (failure ??= error));
    if (failure) throw failure;
  }
  try {
    if (!app.oauth.ring.canSign) app.log.warn('no oauth.masterKey: the token endpoint answers 503 until one is configured');
    const apis = [...loaded.config.apis];
    // The portal lists what the gateway serves: a reload replaces the list.
    let portalApis: readonly ApiConfig[] = apis;
    if (loaded.demo) {
      const echo = await startEchoUpstream();
      opened.push(echo.close);
      apis.push(demoApi(echo.url, ensureDemoOpenApi(loaded.config.store)));
    }

    // The reloader exists once the gateway does; the admin API is built (and bound) before it.
    let reloader: Reloader | undefined;
    const reloadHere: ReloadRequest = (actor) => {
      if (!reloader) throw new PortcullisError('RELOAD_UNAVAILABLE', 'the node is still starting');
      return reloader.reload({ actor });
    };
    const admin = await buildAdminServer(app, {
      reload: requestReload ?? reloadHere,
      // Health probes carry no data; metrics do (API names, traffic, errors), so they need an admin
      // key unless the operator opts in (admin.publicMetrics) for a scraper without one.
      publicPaths: ['/healthz', '/readyz', ...(loaded.config.admin.publicMetrics ? ['/metrics'] : [])],
      ...(worker ? { rollingRestart: () => worker.requestRestart() } : {}),
      register(server) {
        server.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
        server.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
          const ready = await readiness({ store: app.store, storeTimeoutMs: parseDuration(app.config.storeTimeout), redis: app.redisStatus, draining });
          if (ready.statusCode === 503) reply.header('retry-after', '5');
          return reply.code(ready.statusCode).send(ready.body);
        });
        server.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
          reply.header('content-type', app.metrics.contentType).send(await (worker ? worker.renderMetrics() : app.metrics.render())),
        );
      },
    });
    opened.push(() => admin.close());
    const adminSockets = trackConnections(admin.server);
    await admin.listen({ host: loaded.config.admin.host, port: loaded.config.admin.port });
    const address = admin.server.address();
    const port = typeof address === 'object' && address ? address.port : loaded.config.admin.port;
    const adminUrl = urlOf(loaded.config.admin.host, port);

    const gateway = await startGateway({
      app,
      apis,
      baseDir: configDir(loaded.path),
      ...(reserved ? { listenHandle: reserved.handle } : {}),
      // Routes of other modules on the public listener, e.g. the OAuth endpoints.
      register: async (server) => {
        await registerOAuthRoutes(server, { oauth: app.oauth, isAdminKey: (key) => app.verifyKey(key, { scopes: [ADMIN_SCOPE] }) });
        if (loaded.config.portal.enabled) await registerPortal(server, { app, apis: () => portalApis, baseDir: configDir(loaded.path) });
        if (loaded.config.leaks.github.enabled) await registerGithubLeakRoute(server, { app });
        await registerPublic?.(server, app);
      },
    });
    opened.push(() => gateway.close());
    reloader = createReloader({
      app,
      loaded,
      readConfig,
      gateway: gateway.handler,
      onApis: (next) => {
        portalApis = next;
      },
    });
    const { reload } = reloader;
    const gatewaySockets = trackConnections(gateway.server);
    const gatewayUrl = gateway.url;

    // Only now, with both listeners bound: a start that fails before this point (a port in use, a
    // bad store) uses up no key, and the next start that succeeds still shows them.
    // Webhook delivery runs on every server node (the store's lease decides which node sends a message).
    app.webhookDelivery.start();
    // A worker leaves these to its supervisor, which makes them once for the node.
    const firstAdminKey = worker || (await app.hasAdminConsumer()) ? null : (await app.createAdminKey('first admin key')).key;
    const demo = loaded.demo && !worker ? await ensureDemoConsumer(app) : null;
    const portalLinks = loaded.demo && loaded.config.portal.enabled && demo ? await demoPortalLinks(app, demo.consumerId) : null;

    // Key hygiene runs on the server only (one node of the cluster at a time, by a lease); app.close() stops it.
    app.hygiene.start();
    const redis = await app.redisStatus?.settled(REDIS_START_WAIT_MS);
    app.log.info(
      { gatewayUrl, adminUrl, apis: apis.map((a) => a.name), store: app.store.kind, ...(redis ? { redis } : {}), config: loaded.path ?? '(defaults)' },
      'portcullis started',
    );
    if (worker) worker.listening();
    else print(startBanner({ gatewayUrl, adminUrl, configPath: loaded.path, firstAdminKey, demo, portal: portalLinks }));

    async function shutDown(options: DrainOptions): Promise<void> {
      draining = true;
      const gracePeriod = app.config.shutdown.gracePeriod;
      app.log.info({ gracePeriod }, 'shutting down: draining connections');
      // Early, so that an orchestrator that kills before the end loses nothing counted so far.
      const early = Promise.all([app.usage.flush(), app.lastUsed.flush()]).catch((error: Error) =>
        app.log.warn({ err: { message: error.message } }, 'could not flush usage at shutdown; will retry'),
      );
      const deadline = deadlineAfter(parseDuration(gracePeriod));
      try {
        const drained = await Promise.all([
          drainServer(gateway.server, gatewaySockets, deadline.reached, options),
          drainServer(admin.server, adminSockets, deadline.reached, options),
        ]);
        const forced = drained[0].forced + drained[1].forced;
        if (forced > 0) app.log.warn({ forced, gracePeriod }, 'grace period over: closed the connections still open');
      } finally {
        deadline.cancel();
      }
      await early;
      // The usage recorder and last-used tracker flush once more as the app closes.
      await closeOpened();
    }

    let closing: Promise<void> | undefined;
    return {
      app,
      admin,
      adminUrl,
      gateway,
      gatewayUrl,
      firstAdminKey,
      demo,
      close(options = {}) {
        closing ??= shutDown(options);
        return closing;
      },
      reload,
    };
  } catch (error) {
    await closeOpened().catch((closeError: Error) => app.log.warn({ err: { message: closeError.message } }, 'could not close everything after a failed start'));
    throw error;
  }
}
