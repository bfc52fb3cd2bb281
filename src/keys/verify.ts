// Key verification: parse → checksum → cache → store → revoked, expired, disabled, scopes.
// Denials are values; only store faults throw. A malformed key never reaches the store.
import type { Clock } from '../lib/clock.js';
import type { Store, JsonObject } from '../store/types.js';
import type { CachedKey, KeyCache } from './cache.js';
import { hashKey, isWellFormedKey } from './format.js';

export type VerifyCode =
  | 'VALID'
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'DISABLED'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED';

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  keyId?: string;
  consumer?: { id: string; name: string; metadata: JsonObject };
  scopes?: string[];
  metadata?: JsonObject;
  expiresAt?: number | null;
  /** With INSUFFICIENT_SCOPE: the requested scopes the key lacks. */
  missingScopes?: string[];
}

export interface VerifyOptions {
  /** Scopes the caller needs; all must be granted. */
  scopes?: readonly string[];
}

export interface KeyVerifierDeps {
  store: Store;
  cache: KeyCache;
  clock: Clock;
  prefix: string;
  /** Told of every VALID verification (last-used tracking); must not block. */
  onValid?: (keyId: string, at: number) => void;
}

const MALFORMED: VerifyResult = Object.freeze({ valid: false, code: 'MALFORMED' }) as VerifyResult;
const NOT_FOUND: VerifyResult = Object.freeze({ valid: false, code: 'NOT_FOUND' }) as VerifyResult;

function deny(code: VerifyCode, entry: CachedKey): VerifyResult {
  return { valid: false, code, keyId: entry.key.id, consumer: consumerView(entry) };
}

function consumerView(entry: CachedKey) {
  return { id: entry.consumer.id, name: entry.consumer.name, metadata: entry.consumer.metadata };
}

/** The checks, in the documented order, on an entry we found. Pure. */
export function judge(entry: CachedKey, now: number, required: readonly string[] | undefined): VerifyResult {
  const { key, consumer } = entry;
  if (key.revokedAt !== null && key.revokedAt <= now) return deny('REVOKED', entry);
  if (key.expiresAt !== null && key.expiresAt <= now) return deny('EXPIRED', entry);
  if (!key.enabled || !consumer.enabled) return deny('DISABLED', entry);
  if (required && required.length > 0) {
    const missing = required.filter((s) => !entry.scopeSet.has(s));
    if (missing.length > 0) return { ...deny('INSUFFICIENT_SCOPE', entry), missingScopes: missing };
  }
  return {
    valid: true,
    code: 'VALID',
    keyId: key.id,
    consumer: consumerView(entry),
    scopes: entry.scopes,
    metadata: entry.metadata,
    expiresAt: key.expiresAt,
  };
}

export function createKeyVerifier({ store, cache, clock, prefix, onValid }: KeyVerifierDeps) {
  async function lookup(hash: string): Promise<CachedKey | undefined> {
    const cached = cache.get(hash);
    if (cached === 'unknown') return undefined;
    if (cached) return cached;
    const found = await store.findKeyByHash(hash);
    if (!found) {
      cache.setUnknown(hash);
      return undefined;
    }
    return cache.set(hash, found);
  }

  return async function verifyKey(key: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    if (!isWellFormedKey(key, prefix)) return MALFORMED;
    const entry = await lookup(hashKey(key));
    if (!entry) return NOT_FOUND;
    const now = clock.now();
    const result = judge(entry, now, options.scopes);
    if (result.valid) onValid?.(entry.key.id, now);
    return result;
  };
}

export type KeyVerifier = ReturnType<typeof createKeyVerifier>;
