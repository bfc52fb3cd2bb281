// The embedded default: one SQLite file in WAL mode, so readers never wait for the writer.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KEY_VERIFICATION_SELECTION, createKyselyStore, toKeyVerification, type KeyVerificationRow } from './kysely-store.js';
import type { Database } from './tables.js';
import type { Store, StoreStats } from './types.js';

export interface SqliteStoreOptions {
  /**
   * Answer `findKeyByHash` with one prepared statement instead of through Kysely. Verification
   * with the cache off is about twice as fast this way (bench/keys.ts measures both).
   */
  preparedKeyLookup?: boolean;
}

const KEY_LOOKUP_SQL = `select ${KEY_VERIFICATION_SELECTION.join(', ')}
  from api_keys k join consumers c on c.id = k.consumer_id where k.hash = ?`;

/** The row's property names, by column position: `k.id` → `id`, `c.name as c_name` → `c_name`. */
const KEY_LOOKUP_NAMES = KEY_VERIFICATION_SELECTION.map((selection) => selection.split(/\.| as /).pop()!);

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

  // Raw rows (arrays) are a third cheaper to read out of better-sqlite3 than objects (bench/keys.ts).
  let lookup: BetterSqlite3.Statement<[string], unknown[]> | undefined;
  return {
    ...store,
    async findKeyByHash(hash) {
      // Prepared on first use: the tables exist only after migrate().
      lookup ??= sqlite.prepare<[string], unknown[]>(KEY_LOOKUP_SQL).raw(true);
      stats.queries++;
      const values = lookup.get(hash);
      if (!values) return undefined;
      const row: Record<string, unknown> = {};
      for (let i = 0; i < KEY_LOOKUP_NAMES.length; i++) row[KEY_LOOKUP_NAMES[i]!] = values[i];
      return toKeyVerification(row as unknown as KeyVerificationRow);
    },
  };
}
