// How the CLI reaches the admin API: in-process on the configured store (the admin routes served
// through `inject`, acting as `cli:local`), or over HTTP with an admin key through portcullis/admin's
// client. One code path for both.
import type { FastifyInstance } from 'fastify';
import { buildAdminServer } from '../admin/server.js';
import { createAdminClient } from '../admin-client/client.js';
import { type App, createApp } from '../app.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../lib/duration.js';
import { createLogger } from '../logger.js';
import { describeStoreUrl, storeExists } from '../store/exists.js';
import { CliError, type CliIo, loadCliConfig } from './context.js';

export interface AdminResponse {
  status: number;
  body: unknown;
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

/**
 * What a command does to the store: a `read` needs one that exists; a `write` may create it. With
 * `asStart` the app is built as `portcullis start` builds it (in the demo, with the demo master key
 * file), which signing keys need.
 */
export interface LocalAccess {
  access: 'read' | 'write';
  asStart?: boolean;
}

/**
 * Names the store a command acts on, on stderr (stdout stays the command's output), and refuses a read
 * on a store that is not there rather than answer from a new, empty one. `storeAsWritten` is the URL
 * as the config wrote it (a relative SQLite path is shown with its absolute form).
 */
export async function announceStore(ctx: CliIo, config: Config, storeAsWritten: string, access: LocalAccess['access']): Promise<void> {
  const shown = describeStoreUrl(storeAsWritten, ctx.cwd);
  if (await storeExists(config.store, { timeoutMs: parseDuration(config.storeTimeout) })) {
    ctx.stderr.write(`using ${shown}\n`);
    return;
  }
  if (access === 'read') throw new CliError(`no Portcullis store at ${shown}; run from the folder you started Portcullis in, or pass --config / --url`);
  ctx.stderr.write(`creating a Portcullis store at ${shown}\n`);
}

export async function localTransport(
  ctx: CliIo,
  configPath: string | undefined,
  { access, asStart = false }: LocalAccess,
): Promise<AdminTransport & { app: App }> {
  const loaded = loadCliConfig(ctx, configPath);
  await announceStore(ctx, loaded.config, loaded.storeAsWritten, access);
  // Warnings go where the executable's logger writes them: stdout.
  const logger = createLogger('warn', { write: (line: string) => ctx.stdout.write(line) });
  const app = await createApp({ config: loaded.config, ...(asStart ? { demo: loaded.demo } : {}), logger });
  const server: FastifyInstance = await buildAdminServer(app, { trustedActor: { id: 'cli:local', sourceIp: null } });
  return {
    app,
    async request(method, path, body) {
      const response = await server.inject({
        method: method as 'GET',
        url: path,
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as unknown) : null };
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
        throw new CliError(`cannot reach the admin API at ${url.replace(/\/+$/, '')} (${reason}); is Portcullis running (\`npx portcullis start\`)?`);
      }
    },
    async close() {},
  };
}

/** `--url` / PORTCULLIS_URL: the running admin API; otherwise the configured store. */
export async function connect(ctx: CliIo, options: ConnectionOptions, local: LocalAccess): Promise<AdminTransport> {
  const url = options.url ?? ctx.env.PORTCULLIS_URL;
  if (url) return remoteTransport(url, options.adminKey ?? ctx.env.PORTCULLIS_ADMIN_KEY);
  return localTransport(ctx, options.config, local);
}
