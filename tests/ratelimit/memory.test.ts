// The memory adapter: the shared contract, plus its bounds (LRU cap, pruning of expired counters).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createManualClock } from '../../src/lib/clock.js';
import { createMemoryRateLimiter } from '../../src/ratelimit/memory.js';
import { rateLimiterContract } from './contract.js';

rateLimiterContract('memory', async (clock) => {
  const limiter = createMemoryRateLimiter({ clock });
  return { limiter, cleanup: () => limiter.close() };
});

describe('memory rate limiter bounds', () => {
  const MINUTE = 60_000;

  test('never holds more than maxEntries counters', async () => {
    const limiter = createMemoryRateLimiter({ clock: createManualClock(), maxEntries: 100, pruneIntervalMs: 0 });
    for (let i = 0; i < 1_000; i += 1) {
      await limiter.check({ rates: [{ key: `ip:${i}`, limit: 5, windowMs: MINUTE }], quotas: [{ key: `ip:${i}`, limit: 5, period: 'day' }] });
      assert.ok(limiter.size <= 100);
    }
    assert.equal(limiter.size, 100);
    await limiter.close();
  });

  test('prune drops counters whose window (or quota period) has passed, and only those', async () => {
    const clock = createManualClock();
    const limiter = createMemoryRateLimiter({ clock, pruneIntervalMs: 0 });
    for (let i = 0; i < 50; i += 1) await limiter.check({ rates: [{ key: `ip:${i}`, limit: 5, windowMs: MINUTE }] });
    await limiter.check({
      quotas: [
        { key: 'key:month', limit: 5, period: 'month' },
        { key: 'key:total', limit: 5, period: 'total' },
      ],
    });
    assert.equal(limiter.size, 52);

    clock.advance(2 * MINUTE - 1);
    assert.equal(limiter.prune(), 0, 'the previous window still weighs until two windows have passed');
    clock.advance(1);
    assert.equal(limiter.prune(), 50);
    assert.equal(limiter.size, 2);

    clock.set(Date.UTC(2026, 1, 1));
    assert.equal(limiter.prune(), 1, 'the month quota ends with its month');
    clock.advance(10 * 365 * 86_400_000);
    assert.equal(limiter.prune(), 0, 'a total quota never expires');
    await limiter.close();
  });

  test('an expired counter reads as empty even before the pruning timer runs', async () => {
    const clock = createManualClock();
    const limiter = createMemoryRateLimiter({ clock, pruneIntervalMs: 0 });
    const policy = { rates: [{ key: 'consumer:z', limit: 1, windowMs: MINUTE }] };
    assert.equal((await limiter.check(policy)).allowed, true);
    clock.advance(2 * MINUTE);
    assert.equal((await limiter.check(policy)).allowed, true);
    assert.equal(limiter.size, 1);
    await limiter.close();
  });

  test('a refused counter stays recently used, so a flood of new keys cannot evict it into a fresh budget', async () => {
    const limiter = createMemoryRateLimiter({ clock: createManualClock(), maxEntries: 2, pruneIntervalMs: 0 });
    const hot = { rates: [{ key: 'ip:attacker', limit: 1, windowMs: MINUTE }] };
    assert.equal((await limiter.check(hot)).allowed, true);
    await limiter.check({ rates: [{ key: 'ip:a', limit: 1, windowMs: MINUTE }] });
    assert.equal((await limiter.check(hot)).allowed, false);
    await limiter.check({ rates: [{ key: 'ip:b', limit: 1, windowMs: MINUTE }] });
    assert.equal((await limiter.check(hot)).allowed, false);
  });

  test('the pruning timer prunes on the injected clock and stops on close', async (t) => {
    // Mock timers make the interval fire on demand: no waiting on wall-clock time.
    t.mock.timers.enable({ apis: ['setInterval'] });
    const clock = createManualClock();
    const limiter = createMemoryRateLimiter({ clock, pruneIntervalMs: 1_000 });
    await limiter.check({ rates: [{ key: 'ip:1', limit: 1, windowMs: MINUTE }] });
    clock.advance(2 * MINUTE);
    assert.equal(limiter.size, 1);
    t.mock.timers.tick(1_000);
    assert.equal(limiter.size, 0);
    await limiter.close();
    await limiter.check({ rates: [{ key: 'ip:2', limit: 1, windowMs: MINUTE }] });
    clock.advance(2 * MINUTE);
    t.mock.timers.tick(5_000);
    assert.equal(limiter.size, 1, 'closed: nothing prunes any more');
  });

  test('options are checked at construction', () => {
    assert.throws(() => createMemoryRateLimiter({ maxEntries: 0 }), /maxEntries/);
    assert.throws(() => createMemoryRateLimiter({ pruneIntervalMs: -1 }), /pruneIntervalMs/);
  });
});
