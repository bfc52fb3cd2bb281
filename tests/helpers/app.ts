// A Portcullis app and its admin API for tests: real store, injected clock, captured logs.
import type { FastifyInstance } from 'fastify';
import { buildAdminServer } from '../../src/admin/server.js';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/logger.js';
import { captureLogs, noteSecret, noteSecretsIn } from './logs.js';
import { type StoreAdapter, sqliteAdapter } from './stores.js';

/**
 * The gateway records a request at the end of the event-loop turn in which it ended, and its access-log
 * line goes out at the end of the turn after; this waits for both.
 */
export const accessLogWritten = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** The captured log as one JSON object per line (chunks may hold several lines). */
export function logLines(logs: readonly string[]): Array<Record<string, unknown>> {
  return logs.flatMap((chunk) =>
    chunk
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  );
}

export interface TestApp {
  app: App;
  admin: FastifyInstance;
  adminKey: string;
  clock: ReturnType<typeof createManualClock>;
  /** Every log line written, as text. */
  logs: string[];
  sqlitePath: string | undefined;
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function createTestApp(options: { adapter?: StoreAdapter; config?: Record<string, unknown> } = {}): Promise<TestApp> {
  const opened = await (options.adapter ?? sqliteAdapter).open();
  const clock = createManualClock(Date.UTC(2026, 0, 15, 12));
  const { lines: logs, stream: sink } = captureLogs();
  const config = validateConfig({ store: 'sqlite::memory:', log: { level: 'trace' }, ...options.config }, 'test');
  const app = await createApp({ config, clock, store: opened.store, logger: createLogger('trace', sink) });
  const admin = await buildAdminServer(app);
  const adminKey = (await app.createAdminKey('test admin')).key;
  noteSecret(adminKey);

  return {
    app,
    admin,
    adminKey,
    clock,
    logs,
    sqlitePath: opened.path,
    async call(method, url, body, headers = {}) {
      const response = await admin.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${adminKey}`, ...headers },
        ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
      });
      let parsed: unknown = null;
      try {
        parsed = response.body ? JSON.parse(response.body) : null;
      } catch {
        parsed = response.body;
      }
      noteSecretsIn(parsed);
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async close() {
      await admin.close();
      await app.close();
      await opened.cleanup();
    },
  };
}
