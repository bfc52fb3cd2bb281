// The embedded default: one SQLite file in WAL mode, so readers never wait for the writer.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { consumerOfKeyRow, createKyselyStore, toKey, type JoinedConsumerColumns } from './kysely-store.js';
import type { ApiKeysTable, Database } from './tables.js';
import type { Store, StoreStats } from './types.js';

export interface SqliteStoreOptions {
  /**
   * Answer `findKeyByHash` with one prepared statement instead of through Kysely. Verification
   * with the cache off is about twice as fast this way (bench/keys.ts measures both).
   */
  preparedKeyLookup?: boolean;
}

/** An api_keys row with its consumer's columns, as the lookup query returns it. */
type KeyLookupRow = ApiKeysTable & JoinedConsumerColumns;

const KEY_LOOKUP_SQL = `
  select k.*, c.name as c_name, c.metadata as c_metadata, c.scopes as c_scopes, c.enabled as c_enabled,
         c.rate_limit as c_rate_limit, c.quota as c_quota,
         c.created_at as c_created_at, c.updated_at as c_updated_at
  from api_keys k join consumers c on c.id = k.consumer_id
  where k.hash = ?`;

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const stats: StoreStats = { queries: 0 };
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      if (event.level === 'query') stats.queries++;
    },
  });
  const store = createKyselyStore({ db, dialect: 'sqlite', stats, close: () => db.destroy() });
  if (options.preparedKeyLookup === false) return store;

  let lookup: BetterSqlite3.Statement<[string], KeyLookupRow> | undefined;
  return {
    ...store,
    async findKeyByHash(hash) {
      // Prepared on first use: the tables exist only after migrate().
      lookup ??= sqlite.prepare<[string], KeyLookupRow>(KEY_LOOKUP_SQL);
      stats.queries++;
      const row = lookup.get(hash);
      if (!row) return undefined;
      return { key: toKey(row), consumer: consumerOfKeyRow(row) };
    },
  };
}
