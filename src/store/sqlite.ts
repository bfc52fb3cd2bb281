// The embedded default: one SQLite file in WAL mode, so readers never wait for the writer.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createKyselyStore } from './kysely-store.js';
import type { Database } from './tables.js';
import type { ConsumerSummary, KeyRecord, Store, StoreStats } from './types.js';

export interface SqliteStoreOptions {
  /**
   * Answer `findKeyByHash` with one prepared statement instead of through Kysely. Verification
   * with the cache off is about twice as fast this way (bench/keys.ts measures both).
   */
  preparedKeyLookup?: boolean;
}

interface KeyLookupRow {
  id: string;
  consumer_id: string;
  name: string;
  hash: string;
  masked: string;
  scopes: string;
  metadata: string;
  expires_at: number | null;
  enabled: number;
  revoked_at: number | null;
  last_used_at: number | null;
  rate_limit: string | null;
  quota: string | null;
  created_at: number;
  updated_at: number;
  c_name: string;
  c_metadata: string;
  c_scopes: string;
  c_enabled: number;
  c_rate_limit: string | null;
  c_quota: string | null;
  c_created_at: number;
  c_updated_at: number;
}

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
      const key: KeyRecord = {
        id: row.id,
        consumerId: row.consumer_id,
        name: row.name,
        hash: row.hash,
        masked: row.masked,
        scopes: JSON.parse(row.scopes),
        metadata: JSON.parse(row.metadata),
        expiresAt: row.expires_at,
        enabled: row.enabled === 1,
        revokedAt: row.revoked_at,
        lastUsedAt: row.last_used_at,
        rateLimit: row.rate_limit === null ? null : JSON.parse(row.rate_limit),
        quota: row.quota === null ? null : JSON.parse(row.quota),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      };
      const consumer: ConsumerSummary = {
        id: row.consumer_id,
        name: row.c_name,
        metadata: JSON.parse(row.c_metadata),
        scopes: JSON.parse(row.c_scopes),
        enabled: row.c_enabled === 1,
        rateLimit: row.c_rate_limit === null ? null : JSON.parse(row.c_rate_limit),
        quota: row.c_quota === null ? null : JSON.parse(row.c_quota),
        createdAt: row.c_created_at,
        updatedAt: row.c_updated_at,
      };
      return { key, consumer };
    },
  };
}
