// Whether a `store` URL names a Portcullis store (one that has been migrated), found without creating
// anything: the CLI asks before a read, so a command run from the wrong folder does not answer from a
// new, empty store. And how a store URL may be shown (a PostgreSQL password never).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadPg } from '../lib/optional-client.js';
import { describePostgresUrl, StoreOpenError } from './errors.js';
import { DEFAULT_STORE_TIMEOUT_MS } from './types.js';

/** Kysely's record of applied migrations: present once a store was migrated. */
const MIGRATION_TABLE = 'kysely_migration';

/** `sqlite:./x.db (/abs/x.db)` (relative to `cwd`), `sqlite:/abs/x.db`, `postgres://user@host:5432/db`. */
export function describeStoreUrl(url: string, cwd = process.cwd()): string {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return path === ':memory:' || isAbsolute(path) ? url : `${url} (${resolve(cwd, path)})`;
  }
  return describePostgresUrl(url);
}

export async function storeExists(url: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  if (url.startsWith('sqlite:')) return sqliteStoreExists(url.slice('sqlite:'.length));
  return postgresStoreExists(url, options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
}

function sqliteStoreExists(path: string): boolean {
  if (path === ':memory:') return true;
  if (!existsSync(path)) return false;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { fileMustExist: true });
    return db.prepare('select 1 from sqlite_master where type = ? and name = ?').get('table', MIGRATION_TABLE) !== undefined;
  } catch (error) {
    throw new StoreOpenError(`cannot open the SQLite store at ${describeStoreUrl(`sqlite:${path}`)}: ${(error as Error).message}`, { cause: error });
  } finally {
    db?.close();
  }
}

async function postgresStoreExists(url: string, timeoutMs: number): Promise<boolean> {
  const pg = loadPg();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    // Where the store keeps it: current_schema(), as Store.migrate() does (a URL may set search_path).
    const { rows } = await client.query<{ present: boolean }>(
      'select exists (select 1 from information_schema.tables where table_schema = current_schema() and table_name = $1) as present',
      [MIGRATION_TABLE],
    );
    return rows[0]?.present === true;
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new StoreOpenError(`cannot reach the PostgreSQL store at ${describePostgresUrl(url)} (${reason})`, { cause: error });
  } finally {
    await client.end().catch(() => {});
  }
}
