// `portcullis start`: open the store, build the services, listen, and on first run print an
// admin key with a curl line that works when pasted.
import type { FastifyInstance } from 'fastify';
import { buildAdminServer } from '../admin/server.js';
import { createApp, type App } from '../app.js';
import type { LoadedConfig } from '../config/load.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';

export interface RunningPortcullis {
  app: App;
  admin: FastifyInstance;
  adminUrl: string;
  /** Set on the run that created the first admin key. */
  firstAdminKey: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  loaded: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  /** Where the first-run banner goes; stdout by default. */
  print?: (text: string) => void;
}

function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

export async function startPortcullis({ loaded, clock, logger, print = (t) => process.stdout.write(t) }: StartOptions): Promise<RunningPortcullis> {
  const app = await createApp({ config: loaded.config, ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) });
  let firstAdminKey: string | null = null;
  if (!(await app.hasAdminConsumer())) {
    firstAdminKey = (await app.createAdminKey('first admin key')).key;
  }

  const admin = await buildAdminServer(app, {
    register(server) {
      server.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
      server.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
        try {
          await app.store.ping();
          return { status: 'ready' };
        } catch {
          return reply.code(503).header('retry-after', '5').send({ status: 'store unreachable' });
        }
      });
    },
  });
  await admin.listen({ host: loaded.config.admin.host, port: loaded.config.admin.port });
  const address = admin.server.address();
  const port = typeof address === 'object' && address ? address.port : loaded.config.admin.port;
  const adminUrl = urlOf(loaded.config.admin.host, port);

  app.log.info({ adminUrl, store: app.store.kind, config: loaded.path ?? '(defaults)' }, 'portcullis started');
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

  let closing: Promise<void> | undefined;
  return {
    app,
    admin,
    adminUrl,
    firstAdminKey,
    close() {
      closing ??= (async () => {
        await admin.close();
        await app.close();
      })();
      return closing;
    },
  };
}
