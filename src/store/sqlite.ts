// The embedded default: one SQLite file in WAL mode, so readers never wait for the writer. Writes
// never wait for SQLite's lock on the event loop (sqlite-driver.ts). The files hold key hashes and
// sealed signing keys: the database is created 0600 (its WAL and SHM files copy that mode) and the
// folders Portcullis creates for it 0700.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { StoreOpenError } from './errors.js';
import { createKyselyStore, KEY_VERIFICATION_SELECTION, type KeyVerificationRow, toKeyVerification } from './kysely-store.js';
import { SqliteLockFreeDriver } from './sqlite-driver.js';
import type { Database } from './tables.js';
import { DEFAULT_STORE_TIMEOUT_MS, type Store, type StoreStats } from './types.js';

export interface SqliteStoreOptions {
  /**
   * Answer `findKeyByHash` with one prepared statement instead of through Kysely. Verification
   * with the cache off is about twice as fast this way (bench/keys.ts measures both).
   */
  preparedKeyLookup?: boolean;
  /** How long a write waits for another process's write lock before it fails (503). */
  timeoutMs?: number;
}

const KEY_LOOKUP_SQL = `select ${KEY_VERIFICATION_SELECTION.join(', ')}
  from api_keys k join consumers c on c.id = k.consumer_id where k.hash = ?`;

/** The row's property names, by column position: `k.id` → `id`, `c.name as c_name` → `c_name`. */
const KEY_LOOKUP_NAMES = KEY_VERIFICATION_SELECTION.map((selection) => selection.split(/\.| as /).pop()!);

/** Creates the database file (and its folders) private to this user, unless it exists. */
function createPrivately(path: string): void {
  // Only the folders created here get 0700: a folder the operator made keeps the mode they chose.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // SQLite gives the -wal and -shm files the database file's mode, so they are 0600 too.
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
}

function connect(path: string, timeoutMs: number): BetterSqlite3.Database {
  const sqlite = new BetterSqlite3(path);
  try {
    // Opening may briefly meet another process's lock (switching to WAL); nothing is served yet,
    // so waiting here is fine. From then on SQLite never waits: the driver retries on timers.
    sqlite.pragma(`busy_timeout = ${timeoutMs}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 0');
    return sqlite;
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const memory = path === ':memory:';
  let write: BetterSqlite3.Database;
  let read: BetterSqlite3.Database;
  try {
    if (!memory) createPrivately(path);
    write = connect(path, timeoutMs);
    // `:memory:` is one database per connection, so it gets one connection for both.
    read = memory ? write : connect(path, timeoutMs);
  } catch (error) {
    const shown = resolve(path) === path ? path : `${path} (${resolve(path)})`;
    throw new StoreOpenError(`cannot open the SQLite store at ${shown}: ${(error as Error).message}`, { cause: error });
  }
  const stats: StoreStats = { queries: 0 };
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new SqliteLockFreeDriver({ read, write, timeoutMs }),
      createIntrospector: (kysely) => new SqliteIntrospector(kysely),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
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
      lookup ??= read.prepare<[string], unknown[]>(KEY_LOOKUP_SQL).raw(true);
      stats.queries++;
      const values = lookup.get(hash);
      if (!values) return undefined;
      const row: Record<string, unknown> = {};
      for (let i = 0; i < KEY_LOOKUP_NAMES.length; i++) row[KEY_LOOKUP_NAMES[i]!] = values[i];
      return toKeyVerification(row as unknown as KeyVerificationRow);
    },
  };
}
