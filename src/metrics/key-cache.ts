// Counts verification cache hits and misses without the key module knowing about metrics.
import type { KeyCache } from '../keys/cache.js';
import type { Metrics } from './registry.js';

export function instrumentKeyCache(cache: KeyCache, metrics: Pick<Metrics, 'keyCacheLookup'>): KeyCache {
  return {
    get(hash) {
      const entry = cache.get(hash);
      metrics.keyCacheLookup(entry === undefined ? 'miss' : entry === 'unknown' ? 'negative_hit' : 'hit');
      return entry;
    },
    set: (hash, entry) => cache.set(hash, entry),
    setUnknown: (hash) => cache.setUnknown(hash),
    delete: (hash) => cache.delete(hash),
    deleteConsumer: (consumerId) => cache.deleteConsumer(consumerId),
    clear: () => cache.clear(),
    get size() {
      return cache.size;
    },
  };
}
