// `portcullis start`: open the store, build the services, listen, and on first run print an
// admin key with a curl line that works when pasted.
import type { FastifyInstance } from 'fastify';
import { buildAdminServer } from '../admin/server.js';
import { ADMIN_SCOPE, createApp, type App } from '../app.js';
import type { LoadedConfig } from '../config/load.js';
import { startEchoUpstream, type EchoUpstream } from '../demo/echo-upstream.js';
import { demoApi, demoBanner, ensureDemoConsumer, type DemoCredentials } from '../demo/setup.js';
import { configDir } from '../gateway/compile-apis.js';
import { startGateway, type RunningGateway } from '../gateway/start.js';
import { createMetrics } from '../metrics/registry.js';
import { registerOAuthRoutes } from '../oauth/routes.js';
import { parseDuration } from '../lib/duration.js';
import { readiness } from './health.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';

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
  close(): Promise<void>;
}

export interface StartOptions {
  loaded: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  /** Where the first-run banner goes; stdout by default. */
  print?: (text: string) => void;
  /** Extra routes on the public listener; they take precedence over API base paths. */
  registerPublic?: (server: FastifyInstance, app: App) => void | Promise<void>;
}

/** How long a start waits for Redis' first answer, so that the start log says whether it is reachable. */
const REDIS_START_WAIT_MS = 1_500;

function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

export async function startPortcullis({ loaded, clock, logger, print = (t) => process.stdout.write(t), registerPublic }: StartOptions): Promise<RunningPortcullis> {
  const metrics = createMetrics({ processMetrics: true });
  const app = await createApp({ config: loaded.config, metrics, demo: loaded.demo, ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) });
  if (!app.oauth.ring.canSign) app.log.warn('no oauth.masterKey: the token endpoint answers 503 until one is configured');
  let firstAdminKey: string | null = null;
  if (!(await app.hasAdminConsumer())) {
    firstAdminKey = (await app.createAdminKey('first admin key')).key;
  }
  let echo: EchoUpstream | undefined;
  let demo: DemoCredentials | null = null;
  const apis = [...loaded.config.apis];
  if (loaded.demo) {
    echo = await startEchoUpstream();
    apis.push(demoApi(echo.url));
    demo = await ensureDemoConsumer(app);
  }

  const admin = await buildAdminServer(app, {
    // Health probes carry no data; metrics do (API names, traffic, errors), so they need an admin
    // key unless the operator opts in (admin.publicMetrics) for a scraper without one.
    publicPaths: ['/healthz', '/readyz', ...(loaded.config.admin.publicMetrics ? ['/metrics'] : [])],
    register(server) {
      server.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
      server.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
        const ready = await readiness({ store: app.store, storeTimeoutMs: parseDuration(app.config.storeTimeout), redis: app.redisStatus });
        if (ready.statusCode === 503) reply.header('retry-after', '5');
        return reply.code(ready.statusCode).send(ready.body);
      });
      server.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
        reply.header('content-type', app.metrics.contentType).send(await app.metrics.render()),
      );
    },
  });
  await admin.listen({ host: loaded.config.admin.host, port: loaded.config.admin.port });
  const address = admin.server.address();
  const port = typeof address === 'object' && address ? address.port : loaded.config.admin.port;
  const adminUrl = urlOf(loaded.config.admin.host, port);

  const gateway = await startGateway({
    app,
    apis,
    baseDir: configDir(loaded.path),
    // Routes of other modules on the public listener, e.g. the OAuth endpoints.
    register: async (server) => {
      await registerOAuthRoutes(server, { oauth: app.oauth, isAdminKey: (key) => app.verifyKey(key, { scopes: [ADMIN_SCOPE] }) });
      await registerPublic?.(server, app);
    },
  });
  const gatewayUrl = gateway.url;

  const redis = await app.redisStatus?.settled(REDIS_START_WAIT_MS);
  app.log.info({ gatewayUrl, adminUrl, apis: apis.map((a) => a.name), store: app.store.kind, ...(redis ? { redis } : {}), config: loaded.path ?? '(defaults)' }, 'portcullis started');
  if (firstAdminKey) {
    print(
      [
        '',
        'Portcullis is running. This is the first start on this store, so an admin key was created.',
        'It is shown once and stored only as a hash — keep it somewhere safe:',
        '',
        `  PORTCULLIS_ADMIN_KEY=${firstAdminKey}`,
        '',
        'Create a consumer:',
        '',
        `  curl -s -X POST ${adminUrl}/admin/v1/consumers \\`,
        `    -H "Authorization: Bearer ${firstAdminKey}" \\`,
        `    -H "Content-Type: application/json" \\`,
        `    -d '{"name":"acme","metadata":{"accountId":"acct_42","plan":"pro"},"scopes":["orders:read"]}'`,
        '',
        `Admin API reference: ${adminUrl}/admin/v1/openapi.json`,
        '',
      ].join('\n'),
    );
  }
  if (demo) print(demoBanner({ gatewayUrl, adminUrl, demo, adminKey: firstAdminKey }));

  let closing: Promise<void> | undefined;
  return {
    app,
    admin,
    adminUrl,
    gateway,
    gatewayUrl,
    firstAdminKey,
    demo,
    close() {
      closing ??= (async () => {
        await gateway.close();
        await admin.close();
        await echo?.close();
        await app.close();
      })();
      return closing;
    },
  };
}
