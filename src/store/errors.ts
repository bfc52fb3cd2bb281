// Store faults with a stable code: a store that did not answer in time, and a store that could not
// be opened at start. Both messages are safe to log (a PostgreSQL URL is shown without its password).
// No adapter is imported here: library mode's remote verifier tells faults apart without loading one.

/** The store did not answer (or SQLite's write lock did not come free) within `storeTimeout`. */
export class StoreTimeoutError extends Error {
  readonly code = 'STORE_TIMEOUT';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreTimeoutError';
  }
}

/** The store named in the config cannot be opened or reached; the message names it. */
export class StoreOpenError extends Error {
  readonly code = 'STORE_OPEN_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

/** A PostgreSQL URL as it may be shown: user, host, port and database, never the password or options. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Faults that mean "the database is not reachable right now" rather than "the query was wrong". */
export function isStoreUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // node-postgres reports a dropped connection or a full pool by message only.
  if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message))
    return true;
  // Not every error's code is text (a numeric errno from some drivers, a symbol): those are not ours to judge.
  if (typeof code !== 'string' || code === '') return false;
  return (
    // STORE_TIMEOUT: no answer within storeTimeout; 57014: statement_timeout, or a COMMIT after its deadline.
    ['STORE_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', '57014'].includes(
      code,
    ) ||
    code.startsWith('SQLITE_BUSY_') ||
    code.startsWith('57P') ||
    code.startsWith('08')
  );
}
