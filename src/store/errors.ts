// Store faults with a stable code: a store that did not answer in time, and a store that could not
// be opened at start. Both messages are safe to log (a PostgreSQL URL is shown without its password).

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
