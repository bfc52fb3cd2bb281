// Picks the adapter from the `store` URL: `sqlite:PATH` or `postgres://…`.
import { PortcullisError } from '../errors/codes.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** `storeTimeout` in milliseconds: how long any store call may take before it fails (503). */
  timeoutMs?: number;
}

export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length), options);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgresStore(url, options);
  throw new PortcullisError('VALIDATION_FAILED', 'store: expected sqlite:PATH or postgres://…');
}
