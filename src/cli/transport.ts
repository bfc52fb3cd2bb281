// How the CLI reaches the admin API: in-process on the configured store (the admin routes served
// through `inject`, acting as `cli:local`), or over HTTP with an admin key through portcullis/admin's
// client. One code path for both.
import type { FastifyInstance } from 'fastify';
import { createAdminClient } from '../admin-client/client.js';
import { buildAdminServer } from '../admin/server.js';
import { createApp, type App } from '../app.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../logger.js';

export interface AdminResponse {
  status: number;
  body: any;
}

export interface AdminTransport {
  request(method: string, path: string, body?: unknown): Promise<AdminResponse>;
  /** The in-process app, when working on the store directly. */
  app?: App;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  config?: string;
  url?: string;
  adminKey?: string;
}

export class CliError extends Error {}

export async function localTransport(configPath: string | undefined): Promise<AdminTransport> {
  const loaded = loadConfig({ path: configPath });
  const app = await createApp({ config: loaded.config, logger: createLogger('warn') });
  const server: FastifyInstance = await buildAdminServer(app, { trustedActor: { id: 'cli:local', sourceIp: null } });
  return {
    app,
    async request(method, path, body) {
      const response = await server.inject({
        method: method as 'GET',
        url: path,
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    },
    async close() {
      await server.close();
      await app.close();
    },
  };
}

export function remoteTransport(url: string, adminKey: string | undefined): AdminTransport {
  if (!adminKey) throw new CliError('an admin key is needed with --url: pass --admin-key or set PORTCULLIS_ADMIN_KEY');
  const client = createAdminClient({ url, adminKey });
  return {
    async request(method, path, body) {
      try {
        return await client.request(method, path, body === undefined ? {} : { body });
      } catch (error) {
        const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new CliError(`cannot reach the admin API at ${url.replace(/\/+$/, '')} (${reason}); is Portcullis running (\`portcullis start\`)?`);
      }
    },
    async close() {},
  };
}

export async function connect(options: ConnectionOptions): Promise<AdminTransport> {
  const url = options.url ?? process.env.PORTCULLIS_URL;
  if (url) return remoteTransport(url, options.adminKey ?? process.env.PORTCULLIS_ADMIN_KEY);
  return localTransport(options.config);
}
