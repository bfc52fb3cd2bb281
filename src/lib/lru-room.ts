// lru-cache fills every slot of a cache when it is made: ~20–30 ms for 100,000 (two arrays of
// `max` values, two typed arrays, the free-slot stack), and its clear() walks them all again. Every
// app paid that at its first cached entry (each test app, each CLI command), though most hold a
// handful. So a cache starts with room for a few and doubles when full, up to its `max`: it evicts
// the same entries, in the same order, as one made with `max` slots, and `get` runs unchanged.
import type { LRUCache } from 'lru-cache';

/** Slots a cache starts with (or its `max`, if fewer): making it costs ~0.1 ms. */
export const FIRST_SLOTS = 1024;

/**
 * The cache to set one entry in: `make(FIRST_SLOTS)` at first, then, when it is full and `max`
 * allows more, a cache twice as large holding the same entries in the same order of use (the old
 * one is dropped without its `dispose` calls: nothing left it). Only for caches without
 * lru-cache's own TTL (an entry's remaining TTL would not move over).
 */
export function lruWithRoom<K extends {}, V extends {}>(lru: LRUCache<K, V> | undefined, max: number, make: (slots: number) => LRUCache<K, V>): LRUCache<K, V> {
  if (lru === undefined) return make(Math.min(max, FIRST_SLOTS));
  if (lru.size < lru.max || lru.max >= max) return lru;
  const grown = make(Math.min(max, lru.max * 2));
  // From the least recently used to the most: each set makes its entry the most recent.
  // (peek leaves the old cache's order alone; lru-cache types rentries() as a list of keys or values.)
  for (const key of lru.rkeys()) grown.set(key, lru.peek(key) as V);
  return grown;
}
