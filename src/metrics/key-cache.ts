// Counts verification cache hits and misses without the key module knowing about metrics, and the
// credentials answered from a stale entry while the store was unreachable (stale-if-error).
import { Counter, type Registry } from 'prom-client';
import type { KeyCache } from '../keys/cache.js';
import type { Metrics } from './registry.js';

export function instrumentKeyCache(cache: KeyCache, metrics: Pick<Metrics, 'keyCacheLookup'>): KeyCache {
  return {
    get(hash) {
      const entry = cache.get(hash);
      metrics.keyCacheLookup(entry === undefined ? 'miss' : entry === 'unknown' ? 'negative_hit' : 'hit');
      return entry;
    },
    stale: (hash) => cache.stale(hash),
    set: (hash, entry) => cache.set(hash, entry),
    setUnknown: (hash) => cache.setUnknown(hash),
    delete: (hash) => cache.delete(hash),
    deleteConsumer: (consumerId) => cache.deleteConsumer(consumerId),
    expireAll: () => cache.expireAll(),
    clear: () => cache.clear(),
    get size() {
      return cache.size;
    },
  };
}

export type StaleAnswerCounter = (credential: 'api-key' | 'jwt') => void;

/** `portcullis_auth_stale_answers_total{credential}` in `registry`: one per answer given from a stale entry. */
export function countStaleAnswers(registry: Registry): StaleAnswerCounter {
  const counter = new Counter({
    name: 'portcullis_auth_stale_answers_total',
    help: 'Credentials answered from a cache entry past its TTL because the store was unreachable (keys.cache.staleIfError), by credential type',
    labelNames: ['credential'] as const,
    registers: [registry],
  });
  const children = { 'api-key': counter.labels('api-key'), jwt: counter.labels('jwt') };
  return (credential) => children[credential].inc();
}
