// The Redis adapter against a real Redis: the shared contract, the key layout and TTLs, and the Lua script
// giving exactly the memory adapter's answers on random traffic.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createManualClock } from '../../src/lib/clock.js';
import type { LimitCheck } from '../../src/ratelimit/interface.js';
import { createMemoryRateLimiter } from '../../src/ratelimit/memory.js';
import { createRateLimitRedis, createRedisRateLimiter } from '../../src/ratelimit/redis.js';
import { rateLimiterContract, seededRandom } from './contract.js';
import { deleteKeysUnder, keysUnder, randomPrefix, redisSkip, redisUrl, waitUntilReady } from './redis-helpers.js';

describe('the Redis rate limiter', () => {
  let redis: Redis | undefined;

  function client(): Redis {
    if (!redis) throw new Error('the Redis client was not created');
    return redis;
  }

  before(async () => {
    if (!redisUrl) return;
    redis = createRateLimitRedis(redisUrl, { commandTimeoutMs: 2_000 });
    await waitUntilReady(redis);
  });

  after(async () => {
    await redis?.quit();
  });

  rateLimiterContract(
    'redis',
    async (clock) => {
      const prefix = randomPrefix();
      const limiter = createRedisRateLimiter({ redis: client(), prefix, clock });
      return {
        limiter,
        async cleanup() {
          await limiter.close();
          await deleteKeysUnder(client(), prefix);
          assert.deepEqual(await keysUnder(client(), prefix), [], 'the test left no keys behind');
        },
      };
    },
    redisSkip,
  );

  describe('redis rate limiter specifics', () => {
    const MINUTE = 60_000;

    test('every key is under the prefix and expires when its state stops mattering (plus the grace)', { skip: redisSkip }, async () => {
      const prefix = randomPrefix();
      const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
      const grace = 5_000;
      const limiter = createRedisRateLimiter({ redis: client(), prefix, clock, ttlGraceMs: grace });
      try {
        await limiter.check({
          rates: [{ key: 'consumer:ttl', limit: 5, windowMs: MINUTE }],
          quotas: [
            { key: 'consumer:ttl', limit: 5, period: 'day' },
            { key: 'consumer:ttl', limit: 5, period: 'total' },
          ],
        });
        const keys = (await keysUnder(client(), prefix)).sort();
        assert.deepEqual(keys, [`${prefix}q:day:consumer:ttl`, `${prefix}q:total:consumer:ttl`, `${prefix}r:60000:consumer:ttl`]);
        const rateTtl = await client().pttl(`${prefix}r:60000:consumer:ttl`);
        assert.ok(rateTtl > MINUTE + grace - 1_000 && rateTtl <= 2 * MINUTE + grace, `rate TTL ${rateTtl}`);
        const dayTtl = await client().pttl(`${prefix}q:day:consumer:ttl`);
        assert.ok(dayTtl > 12 * 3_600_000 + grace - 1_000 && dayTtl <= 12 * 3_600_000 + grace, `day quota TTL ${dayTtl}`);
        assert.equal(await client().pttl(`${prefix}q:total:consumer:ttl`), -1, 'a total quota is never stale');

        await limiter.check({ rates: [{ key: 'consumer:other', limit: 1, windowMs: MINUTE }] });
        await limiter.peek({ rates: [{ key: 'consumer:peeked', limit: 1, windowMs: MINUTE }] });
        assert.equal((await keysUnder(client(), prefix)).length, 4, 'peek writes nothing');
      } finally {
        await deleteKeysUnder(client(), prefix);
      }
    });

    test('two prefixes never share counters', { skip: redisSkip }, async () => {
      const clock = createManualClock();
      const prefixes = [randomPrefix(), randomPrefix()];
      const [first, second] = prefixes.map((prefix) => createRedisRateLimiter({ redis: client(), prefix, clock }));
      const policy = { rates: [{ key: 'consumer:shared-name', limit: 1, windowMs: MINUTE }] };
      try {
        assert.equal((await first!.check(policy)).allowed, true);
        assert.equal((await second!.check(policy)).allowed, true);
        assert.equal((await first!.check(policy)).allowed, false);
      } finally {
        for (const prefix of prefixes) await deleteKeysUnder(client(), prefix);
      }
    });

    test('the Lua script answers exactly as the memory adapter on random traffic', { skip: redisSkip }, async () => {
      const prefix = randomPrefix();
      const clock = createManualClock(Date.UTC(2026, 0, 31, 23, 58));
      const onRedis = createRedisRateLimiter({ redis: client(), prefix, clock });
      const inMemory = createMemoryRateLimiter({ clock, pruneIntervalMs: 0 });
      const random = seededRandom(7);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      try {
        for (let step = 0; step < 400; step += 1) {
          clock.advance(pick([0, 0, 1, 7, 250, 999, 4_000, 30_000]));
          const input: LimitCheck = {
            rates: Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
              key: pick(['consumer:a', 'consumer:b', 'key:c']),
              limit: pick([1, 2, 3, 5, 8]),
              windowMs: pick([1_000, 10_000, MINUTE]),
              cost: pick([0, 1, 1, 1, 2, 9]),
            })),
            quotas: random() < 0.4 ? [{ key: pick(['key:q1', 'key:q2']), limit: pick([3, 20]), period: pick(['day', 'month', 'total'] as const) }] : [],
          };
          const commit = random() < 0.8;
          const expected = commit ? await inMemory.check(input) : await inMemory.peek(input);
          const actual = commit ? await onRedis.check(input) : await onRedis.peek(input);
          assert.deepEqual(actual, expected, `step ${step} at ${new Date(clock.now()).toISOString()}: ${JSON.stringify(input)}`);
        }
      } finally {
        await inMemory.close();
        await deleteKeysUnder(client(), prefix);
      }
    });
  });
});
