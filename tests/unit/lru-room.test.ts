// A cache that starts small and grows (src/lib/lru-room.ts) answers like one made with all its slots:
// the same entries, the same order of use, the same evictions, and never more than its max.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LRUCache } from 'lru-cache';
import { FIRST_SLOTS, lruWithRoom } from '../../src/lib/lru-room.js';
import { seededRandom } from '../ratelimit/contract.js';

test('a growing cache keeps, evicts and orders entries as one made with max slots', () => {
  const max = FIRST_SLOTS * 2 + 500;
  const evicted = { full: [] as string[], growing: [] as string[] };
  const full = new LRUCache<string, number>({ max, dispose: (_v, key, reason) => reason === 'evict' && evicted.full.push(key) });
  let growing: LRUCache<string, number> | undefined;
  const slots: number[] = [];
  const random = seededRandom(21);
  for (let i = 0; i < 20_000; i++) {
    const key = `k${Math.floor(random() * max * 1.5)}`;
    const op = random();
    if (op < 0.5) {
      full.set(key, i);
      growing = lruWithRoom(growing, max, (n) => {
        slots.push(n);
        return new LRUCache<string, number>({ max: n, dispose: (_v, k, reason) => reason === 'evict' && evicted.growing.push(k) });
      });
      growing.set(key, i);
    } else if (op < 0.9) {
      assert.equal(growing?.get(key), full.get(key), `get ${key} at step ${i}`);
    } else {
      assert.equal(growing?.delete(key) ?? false, full.delete(key), `delete ${key} at step ${i}`);
    }
    assert.ok((growing?.size ?? 0) <= max);
  }
  assert.deepEqual(slots, [FIRST_SLOTS, FIRST_SLOTS * 2, max], 'made small, doubled, then capped at max');
  assert.ok(evicted.full.length > 1000, 'the test filled the cache past max');
  assert.deepEqual(evicted.growing, evicted.full, 'the same entries evicted, in the same order');
  assert.deepEqual([...growing!.entries()], [...full.entries()], 'the same entries, most recently used first');
});

test('a cache whose max is below the first slots is made with max slots and never replaced', () => {
  let lru: LRUCache<string, number> | undefined;
  let made = 0;
  for (let i = 0; i < 50; i++) {
    lru = lruWithRoom(lru, 10, (n) => {
      made++;
      return new LRUCache<string, number>({ max: n });
    });
    lru.set(`k${i}`, i);
  }
  assert.equal(made, 1);
  assert.equal(lru!.max, 10);
  assert.deepEqual(
    [...lru!.keys()],
    Array.from({ length: 10 }, (_, i) => `k${49 - i}`),
  );
});
