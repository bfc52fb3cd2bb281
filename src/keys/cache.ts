// Verification cache keyed by the key's SHA-256: a bounded LRU whose entries are fresh for a jittered
// TTL (src/auth/freshness.ts) and then kept for `staleIfErrorMs` more, to answer while the store is
// unreachable (stale-if-error), plus short-lived negative entries for unknown keys. It indexes hashes
// by consumer so a consumer change drops all its keys at once, and it keeps what a consumer's keys
// have in common (its metadata, scopes, limits, the view returned to callers) once per consumer rather
// than once per key: a cached key costs a few hundred bytes, so 100k of them fit in the memory goal
// (bench/scale.ts).
import { LRUCache } from 'lru-cache';
import { freshUntil } from '../auth/freshness.js';
import { type AddressAllowlist, bothAllowlists, compileAllowlist } from '../lib/ip-allowlist.js';
import { lruWithRoom } from '../lib/lru-room.js';
import type { IdentityLimits } from '../limits/policies.js';
import type { JsonObject, KeyVerificationRecord } from '../store/types.js';
import type { VerifyResult } from './verify-result.js';

type ConsumerRow = KeyVerificationRecord['consumer'];
type KeyRow = KeyVerificationRecord['key'];

/** What every cached key of one consumer shares; rebuilt when the consumer's row is newer. */
export interface SharedConsumer {
  id: string;
  updatedAt: number;
  enabled: boolean;
  allowed: ReadonlySet<string>;
  metadata: JsonObject;
  /** The consumer as verification results show it. */
  view: Readonly<{ id: string; name: string; metadata: JsonObject }>;
  /** The `limits` of a key that has none of its own. */
  limitsOfPlainKey: IdentityLimits;
  /** The consumer's allowedIps, compiled once for all its keys; undefined = any address. */
  allowlist: AddressAllowlist | undefined;
  allowedIps: string[];
}

/** What verification needs about a known key, precomputed once per cache fill. */
export interface CachedKey {
  known: true;
  /** Fresh before this instant; stale (usable only while the store fails) for staleIfErrorMs after. */
  freshUntil: number;
  keyId: string;
  revokedAt: number | null;
  expiresAt: number | null;
  enabled: boolean;
  consumer: SharedConsumer;
  /** Key scopes that the consumer still allows. */
  scopes: readonly string[];
  /** Consumer metadata overlaid with the key's own. */
  metadata: JsonObject;
  /** The VALID answer for this key, built once and shared (frozen) by every verification. */
  valid: Readonly<VerifyResult>;
  /** When this entry last told the last-used tracker (verification throttles that to once a second). */
  touchedAt: number;
}

/** A key the store does not hold, remembered for the negative TTL (never answered stale). */
interface UnknownKey {
  known: false;
  freshUntil: number;
}
type Entry = CachedKey | UnknownKey;

export interface KeyCacheOptions {
  maxEntries: number;
  ttlMs: number;
  negativeTtlMs: number;
  /** How long past its freshness a known key stays for stale-if-error; 0 = not at all. */
  staleIfErrorMs?: number;
  now: () => number;
}

export interface KeyCache {
  /** A fresh entry, 'unknown' for a fresh negative one, or undefined (ask the store). */
  get(hash: string): CachedKey | 'unknown' | undefined;
  /** A known key's entry, fresh or stale within staleIfErrorMs: for answering while the store is unreachable. */
  stale(hash: string): CachedKey | undefined;
  set(hash: string, entry: KeyVerificationRecord): CachedKey;
  setUnknown(hash: string): void;
  delete(hash: string): void;
  deleteConsumer(consumerId: string): void;
  /** Every entry stops being fresh now (it is asked for again), but stays for stale-if-error. */
  expireAll(): void;
  clear(): void;
  readonly size: number;
}

const NO_LIMITS = Object.freeze({ rateLimit: null, quota: null });

export function sharedConsumer(c: ConsumerRow): SharedConsumer {
  const metadata = Object.freeze(c.metadata);
  const own = c.rateLimit === null && c.quota === null ? NO_LIMITS : Object.freeze({ rateLimit: c.rateLimit, quota: c.quota });
  return {
    id: c.id,
    updatedAt: c.updatedAt,
    enabled: c.enabled,
    allowed: new Set(c.scopes),
    metadata,
    view: Object.freeze({ id: c.id, name: c.name, metadata }),
    limitsOfPlainKey: Object.freeze({ consumer: own, credential: NO_LIMITS }),
    allowlist: compileAllowlist(c.allowedIps),
    allowedIps: c.allowedIps,
  };
}

const isEmpty = (value: object) => {
  for (const _ in value) return false;
  return true;
};

export function toCachedKey(key: KeyRow, consumer: SharedConsumer): CachedKey {
  const scopes = Object.freeze(key.scopes.filter((s) => consumer.allowed.has(s)));
  const metadata = isEmpty(key.metadata) ? consumer.metadata : Object.freeze({ ...consumer.metadata, ...key.metadata });
  const limits =
    key.rateLimit === null && key.quota === null
      ? consumer.limitsOfPlainKey
      : Object.freeze({ consumer: consumer.limitsOfPlainKey.consumer, credential: Object.freeze({ rateLimit: key.rateLimit, quota: key.quota }) });
  const valid: VerifyResult = Object.freeze({
    valid: true,
    code: 'VALID',
    keyId: key.id,
    consumer: consumer.view,
    scopes: scopes as string[],
    metadata,
    expiresAt: key.expiresAt,
    limits,
    // Compiled here, once per cache fill: a key without a list (and a consumer without one) costs nothing per request.
    allowlist: bothAllowlists(compileAllowlist(key.allowedIps), consumer.allowlist),
    ...(key.allowedIps.length > 0 || consumer.allowedIps.length > 0 ? { allowedIps: { key: key.allowedIps, consumer: consumer.allowedIps } } : {}),
  });
  return {
    known: true,
    freshUntil: -Infinity,
    keyId: key.id,
    revokedAt: key.revokedAt,
    expiresAt: key.expiresAt,
    enabled: key.enabled,
    consumer,
    scopes,
    metadata,
    valid,
    touchedAt: -Infinity,
  };
}

export function createKeyCache(options: KeyCacheOptions): KeyCache {
  const byConsumer = new Map<string, Set<string>>();
  const consumers = new Map<string, SharedConsumer>();
  const enabled = options.maxEntries > 0 && options.ttlMs > 0;
  const staleIfErrorMs = options.staleIfErrorMs ?? 0;
  // No TTL of lru-cache's own: each entry carries its freshness (one clock read per lookup, where
  // lru-cache's TTL would cost another), and a known key outlives it for stale-if-error. An entry
  // past all use is dropped when it is next looked up, or evicted as the least recently used.
  // Made when the first entry is set, small, and grown to maxEntries as it fills (lib/lru-room.ts).
  let lru: LRUCache<string, Entry> | undefined;
  const filled = () =>
    (lru = lruWithRoom(
      lru,
      Math.max(1, options.maxEntries),
      (max) =>
        new LRUCache<string, Entry>({
          max,
          dispose: (entry, hash) => {
            if (!entry.known) return;
            const hashes = byConsumer.get(entry.consumer.id);
            hashes?.delete(hash);
            if (hashes?.size === 0) {
              byConsumer.delete(entry.consumer.id);
              consumers.delete(entry.consumer.id);
            }
          },
        }),
    ));

  return {
    get(hash) {
      const entry = lru?.get(hash);
      if (entry === undefined) return undefined;
      const now = options.now();
      if (entry.freshUntil > now) return entry.known ? entry : 'unknown';
      if (!entry.known || entry.freshUntil + staleIfErrorMs <= now) lru?.delete(hash);
      return undefined;
    },
    stale(hash) {
      const entry = lru?.peek(hash);
      return entry?.known && entry.freshUntil + staleIfErrorMs > options.now() ? entry : undefined;
    },
    set(hash, { key, consumer }) {
      if (!enabled) return toCachedKey(key, sharedConsumer(consumer));
      // A row older than the shared state (a fill that raced a change) uses the newer state.
      let shared = consumers.get(consumer.id);
      if (!shared || consumer.updatedAt > shared.updatedAt) {
        shared = sharedConsumer(consumer);
        consumers.set(consumer.id, shared);
      }
      const cached = toCachedKey(key, shared);
      cached.freshUntil = freshUntil(options.now(), options.ttlMs);
      filled().set(hash, cached);
      let hashes = byConsumer.get(consumer.id);
      if (!hashes) {
        hashes = new Set();
        byConsumer.set(consumer.id, hashes);
      }
      hashes.add(hash);
      return cached;
    },
    setUnknown(hash) {
      if (enabled && options.negativeTtlMs > 0) filled().set(hash, { known: false, freshUntil: options.now() + options.negativeTtlMs });
    },
    delete(hash) {
      lru?.delete(hash);
    },
    deleteConsumer(consumerId) {
      for (const hash of [...(byConsumer.get(consumerId) ?? [])]) lru?.delete(hash);
      byConsumer.delete(consumerId);
      consumers.delete(consumerId);
    },
    expireAll() {
      const now = options.now();
      for (const entry of lru?.values() ?? []) if (entry.freshUntil > now) entry.freshUntil = now;
    },
    clear() {
      lru?.clear();
      byConsumer.clear();
      consumers.clear();
    },
    get size() {
      return lru?.size ?? 0;
    },
  };
}
