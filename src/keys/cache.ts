// Verification cache keyed by the key's SHA-256: a bounded LRU with a TTL, plus short-lived negative
// entries for unknown keys. It indexes hashes by consumer so a consumer change drops all its keys at once.
import { LRUCache } from 'lru-cache';
import type { JsonObject, KeyVerificationRecord } from '../store/types.js';
import type { VerifyResult } from './verify.js';

/** What verification needs about a known key, precomputed once per cache fill. */
export interface CachedKey {
  key: KeyVerificationRecord['key'];
  consumer: KeyVerificationRecord['consumer'];
  /** Key scopes that the consumer still allows. */
  scopes: string[];
  scopeSet: ReadonlySet<string>;
  /** Consumer metadata overlaid with the key's own. */
  metadata: JsonObject;
  /** The VALID answer for this key, built once and shared (frozen) by every verification. */
  valid: Readonly<VerifyResult>;
  /** When this entry last told the last-used tracker (verification throttles that to once a second). */
  touchedAt: number;
}

const UNKNOWN = Symbol('unknown key');
type Entry = CachedKey | typeof UNKNOWN;

export interface KeyCacheOptions {
  maxEntries: number;
  ttlMs: number;
  negativeTtlMs: number;
  now: () => number;
}

export interface KeyCache {
  get(hash: string): CachedKey | 'unknown' | undefined;
  set(hash: string, entry: KeyVerificationRecord): CachedKey;
  setUnknown(hash: string): void;
  delete(hash: string): void;
  deleteConsumer(consumerId: string): void;
  clear(): void;
  readonly size: number;
}

export function toCachedKey({ key, consumer }: KeyVerificationRecord): CachedKey {
  const allowed = new Set(consumer.scopes);
  const scopes = Object.freeze(key.scopes.filter((s) => allowed.has(s))) as string[];
  const metadata = Object.freeze({ ...consumer.metadata, ...key.metadata });
  const valid: VerifyResult = Object.freeze({
    valid: true,
    code: 'VALID',
    keyId: key.id,
    consumer: Object.freeze({ id: consumer.id, name: consumer.name, metadata: consumer.metadata }),
    scopes,
    metadata,
    expiresAt: key.expiresAt,
    limits: Object.freeze({
      consumer: { rateLimit: consumer.rateLimit, quota: consumer.quota },
      credential: { rateLimit: key.rateLimit, quota: key.quota },
    }),
  });
  return { key, consumer, scopes, scopeSet: new Set(scopes), metadata, valid, touchedAt: -Infinity };
}

export function createKeyCache(options: KeyCacheOptions): KeyCache {
  const byConsumer = new Map<string, Set<string>>();
  const enabled = options.maxEntries > 0 && options.ttlMs > 0;
  const lru = new LRUCache<string, Entry>({
    max: Math.max(1, options.maxEntries),
    ttl: Math.max(1, options.ttlMs),
    ttlAutopurge: false,
    perf: { now: options.now },
    dispose: (entry, hash) => {
      if (entry === UNKNOWN) return;
      const hashes = byConsumer.get(entry.consumer.id);
      hashes?.delete(hash);
      if (hashes?.size === 0) byConsumer.delete(entry.consumer.id);
    },
  });

  return {
    get(hash) {
      if (!enabled) return undefined;
      const entry = lru.get(hash);
      return entry === UNKNOWN ? 'unknown' : entry;
    },
    set(hash, { key, consumer }) {
      const cached = toCachedKey({ key, consumer });
      if (!enabled) return cached;
      lru.set(hash, cached);
      let hashes = byConsumer.get(consumer.id);
      if (!hashes) byConsumer.set(consumer.id, (hashes = new Set()));
      hashes.add(hash);
      return cached;
    },
    setUnknown(hash) {
      if (enabled && options.negativeTtlMs > 0) lru.set(hash, UNKNOWN, { ttl: options.negativeTtlMs });
    },
    delete(hash) {
      lru.delete(hash);
    },
    deleteConsumer(consumerId) {
      for (const hash of [...(byConsumer.get(consumerId) ?? [])]) lru.delete(hash);
      byConsumer.delete(consumerId);
    },
    clear() {
      lru.clear();
      byConsumer.clear();
    },
    get size() {
      return lru.size;
    },
  };
}
