// Picks the adapter from the `store` URL: `sqlite:PATH` or `postgres://…`.
import { PortcullisError } from '../errors/codes.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export const DEFAULT_STORE = 'sqlite:./.portcullis/portcullis.db';

export interface OpenStoreOptions {
  /** `storeTimeout` in milliseconds: how long any store call may take before it fails (503). */
  timeoutMs?: number;
}

export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length), options);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgresStore(url, options);
  throw new PortcullisError('VALIDATION_FAILED', 'store: expected sqlite:PATH or postgres://…');
}

/** Faults that mean "the database is not reachable right now" rather than "the query was wrong". */
export function isStoreUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  // node-postgres reports a dropped connection or a full pool by message only.
  if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message)) return true;
  if (!code) return false;
  return (
    // STORE_TIMEOUT: no answer within storeTimeout; 57014: statement_timeout, or a COMMIT after its deadline.
    ['STORE_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', '57014'].includes(code) ||
    code.startsWith('SQLITE_BUSY_') ||
    code.startsWith('57P') ||
    code.startsWith('08')
  );
}
