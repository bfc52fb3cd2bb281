// Key verification: parse → checksum → cache → store → revoked, expired, disabled, scopes.
// Denials are values; only store faults throw. A malformed key never reaches the store — unless the
// store holds keys imported from another system (foreign.ts), when a credential of a foreign shape is
// looked up by its hash like ours, behind the same cache and negative cache. While the
// store is unreachable, a key cached past its TTL (within keys.cache.staleIfError) is still answered
// when the answer cannot have changed for the better (VALID, or REVOKED); anything else fails closed.
import { createStoreFaultState } from '../auth/freshness.js';
import type { Clock } from '../lib/clock.js';
import type { MaybePromise } from '../lib/maybe-promise.js';
import { isStoreUnavailable } from '../store/errors.js';
import type { Store } from '../store/types.js';
import type { CachedKey, KeyCache } from './cache.js';
import { type ForeignKeyPresence, isForeignKeyShape } from './foreign.js';
import { hashKey, isWellFormedKey } from './format.js';
import type { VerifyCode, VerifyOptions, VerifyResult } from './verify-result.js';

export interface KeyVerifierDeps {
  store: Store;
  cache: KeyCache;
  clock: Clock;
  prefix: string;
  /** Told of VALID verifications (last-used tracking), at most once a second per cached key; must not block. */
  onValid?: (keyId: string, at: number) => void;
  /** Told of each answer given from a stale entry because the store is unreachable (a metric). */
  onStale?: () => void;
  /** Whether the store holds foreign keys; without it (or while it says no) only our format is looked up. */
  foreignKeys?: Pick<ForeignKeyPresence, 'present'>;
}

/** Last-used times are kept to the second: a busy key tells the tracker once a second, not per request. */
const TOUCH_INTERVAL_MS = 1000;

const MALFORMED: VerifyResult = Object.freeze({ valid: false, code: 'MALFORMED' }) as VerifyResult;
const NOT_FOUND: VerifyResult = Object.freeze({ valid: false, code: 'NOT_FOUND' }) as VerifyResult;

function deny(code: VerifyCode, entry: CachedKey): VerifyResult {
  return { valid: false, code, keyId: entry.keyId, consumer: entry.consumer.view };
}

/** The checks, in the documented order, on an entry we found. Pure. */
export function judge(entry: CachedKey, now: number, required: readonly string[] | undefined): VerifyResult {
  if (entry.revokedAt !== null && entry.revokedAt <= now) return deny('REVOKED', entry);
  if (entry.expiresAt !== null && entry.expiresAt <= now) return deny('EXPIRED', entry);
  if (!entry.enabled || !entry.consumer.enabled) return deny('DISABLED', entry);
  if (required && required.length > 0) {
    // A key has a handful of scopes: a scan beats a Set per cached key, in time and in memory.
    for (const scope of required) {
      if (!entry.scopes.includes(scope)) {
        const missingScopes = required.filter((s) => !entry.scopes.includes(s));
        return { ...deny('INSUFFICIENT_SCOPE', entry), missingScopes };
      }
    }
  }
  return entry.valid;
}

export function createKeyVerifier({ store, cache, clock, prefix, onValid, onStale, foreignKeys }: KeyVerifierDeps) {
  const storeFaults = createStoreFaultState(() => clock.now());

  function conclude(entry: CachedKey, required: readonly string[] | undefined): VerifyResult {
    const now = clock.now();
    const result = judge(entry, now, required);
    if (result.valid && now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
      entry.touchedAt = now;
      onValid?.(entry.keyId, now);
    }
    return result;
  }

  /** The answer of a stale entry, when it may be given: VALID, or REVOKED (never undone). */
  function staleAnswer(hash: string, required: readonly string[] | undefined): VerifyResult | undefined {
    const entry = cache.stale(hash);
    if (!entry) return undefined;
    const result = conclude(entry, required);
    if (!result.valid && result.code !== 'REVOKED') return undefined;
    onStale?.();
    return result;
  }

  async function fromStore(hash: string, required: readonly string[] | undefined): Promise<VerifyResult> {
    let found: Awaited<ReturnType<Store['findKeyByHash']>>;
    try {
      found = await store.findKeyByHash(hash);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      storeFaults.failed();
      const answer = staleAnswer(hash, required);
      if (answer) return answer;
      throw error;
    }
    storeFaults.succeeded();
    if (!found) {
      cache.setUnknown(hash);
      return NOT_FOUND;
    }
    return conclude(cache.set(hash, found), required);
  }

  /**
   * Not an async function on purpose: a malformed or cached key is answered at once, without a
   * promise or a coroutine, which is most of the cost at these rates (see bench/keys.ts); only a
   * cache miss returns a promise. Callers `await` the result either way. A key of our format takes
   * exactly the path it took before imports existed; only one that fails the checksum asks whether
   * foreign keys exist.
   */
  return function verifyKey(key: string, options?: VerifyOptions): MaybePromise<VerifyResult> {
    if (!isWellFormedKey(key, prefix) && (foreignKeys?.present !== true || !isForeignKeyShape(key))) return MALFORMED;
    const hash = hashKey(key);
    const cached = cache.get(hash);
    if (cached === 'unknown') return NOT_FOUND;
    if (cached) return conclude(cached, options?.scopes);
    // The store failed a moment ago: a stale entry answers without waiting for it again.
    if (storeFaults.skipStore()) {
      const answer = staleAnswer(hash, options?.scopes);
      if (answer) return answer;
    }
    return fromStore(hash, options?.scopes);
  };
}

export type KeyVerifier = ReturnType<typeof createKeyVerifier>;
