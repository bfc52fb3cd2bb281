// PostgreSQL for many stateless nodes. BIGINT columns come back as numbers: every value we store
// in one (milliseconds since 1970) fits a double exactly.
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { createKyselyStore } from './kysely-store.js';
import type { Database } from './tables.js';
import type { Store, StoreStats } from './types.js';
import { loadPg } from '../lib/optional-client.js';

const INT8_OID = 20;

export interface PostgresStoreOptions {
  /** Schema to work in (created if missing); tests use one per run. */
  schema?: string;
  maxConnections?: number;
  /** Not used yet. */
  timeoutMs?: number;
}

export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const pg = loadPg();
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its connection emits 'error'; with no listener that would crash the process.
  // The pool listens only while a client is idle, so every client gets its own listener. The
  // query in flight fails on its own and the next one reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const stats: StoreStats = { queries: 0 };
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => {
        if (options.schema) await connection.executeQuery(CompiledQuery.raw(`create schema if not exists "${options.schema}"`));
      },
    }),
    log: (event) => {
      if (event.level === 'query') stats.queries++;
    },
  });
  return createKyselyStore({ db, dialect: 'postgres', stats, close: () => db.destroy() });
}
