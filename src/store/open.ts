// Picks the adapter from the `store` URL: `sqlite:PATH` or `postgres://…`.
import { PortcullisError } from '../errors/codes.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export const DEFAULT_STORE = 'sqlite:./.portcullis/portcullis.db';

export function openStore(url: string): Store {
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgresStore(url);
  throw new PortcullisError('VALIDATION_FAILED', 'store: expected sqlite:PATH or postgres://…');
}

/** Faults that mean "the database is not reachable right now" rather than "the query was wrong". */
export function isStoreUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  // node-postgres reports a dropped connection or a full pool by message only.
  if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message)) return true;
  if (!code) return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR'].includes(code) ||
    code.startsWith('57P') ||
    code.startsWith('08')
  );
}
