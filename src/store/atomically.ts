// A write of several statements runs in one transaction — the caller's, when it already is in one —
// so that a fault (a timeout, SQLite's lock) between two statements never leaves half of it done.
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export function atomically<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
