// PostgreSQL for many stateless nodes. BIGINT columns come back as numbers: every value we store
// in one (milliseconds since 1970) fits a double exactly. Every call is bounded by `timeoutMs`
// (postgres-driver.ts): on the client, and on the server with statement_timeout and
// idle_in_transaction_session_timeout, so a session whose client went silent ends (and lets go of
// its locks) instead of waiting for TCP to notice.
import { CompiledQuery, Kysely, PostgresAdapter, PostgresQueryCompiler } from 'kysely';
import { loadPg } from '../lib/optional-client.js';
import { describePostgresUrl, StoreOpenError } from './errors.js';
import { createKyselyStore } from './kysely-store.js';
import { BoundedPostgresDriver } from './postgres-driver.js';
import { CurrentSchemaIntrospector } from './postgres-introspector.js';
import type { Database } from './tables.js';
import { DEFAULT_STORE_TIMEOUT_MS, type Store, type StoreStats } from './types.js';

const INT8_OID = 20;

export interface PostgresStoreOptions {
  /** Schema to work in (created if missing); tests use one per run. */
  schema?: string;
  maxConnections?: number;
  /** Every query, transaction and connection attempt answers within this or fails (503). */
  timeoutMs?: number;
}

export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const pg = loadPg();
  const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
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
  const driver = new BoundedPostgresDriver({
    pool,
    timeoutMs,
    onCreateConnection: async (connection) => {
      if (options.schema) await connection.executeQuery(CompiledQuery.raw(`create schema if not exists "${options.schema}"`));
    },
  });
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (kysely) => new CurrentSchemaIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      if (event.level === 'query') stats.queries++;
    },
  });
  const store = createKyselyStore({ db, dialect: 'postgres', stats, close: () => db.destroy() });
  return {
    ...store,
    async migrate() {
      driver.unbounded = true;
      try {
        const applied = await store.migrate();
        driver.guardCommits = true;
        return applied;
      } catch (error) {
        const reason = (error as Error).message || (error as { code?: string }).code || String(error);
        throw new StoreOpenError(`cannot migrate the PostgreSQL store at ${describePostgresUrl(url)}: ${reason}`, { cause: error });
      } finally {
        driver.unbounded = false;
      }
    },
  };
}
