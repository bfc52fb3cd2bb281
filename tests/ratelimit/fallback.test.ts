// The fallback limiter: fail soft to per-node limits while the shared limiter errors, report each outage
// once, come back by itself. First against a primary we can switch off, then against Redis behind a proxy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createManualClock } from '../../src/lib/clock.js';
import { createFallbackRateLimiter, type FallbackEvent, type RecoverEvent } from '../../src/ratelimit/fallback.js';
import type { LimitCheck, LimitResult, RateLimiter } from '../../src/ratelimit/interface.js';
import { createMemoryRateLimiter } from '../../src/ratelimit/memory.js';
import { createRateLimitRedis, createRedisRateLimiter } from '../../src/ratelimit/redis.js';
import { deleteKeysUnder, nextEvent, randomPrefix, redisSkip, redisUrl, startRedisProxy, waitUntilReady } from './redis-helpers.js';

const MINUTE = 60_000;
const PROBE_MS = 1_000;

/** A shared limiter whose availability the test controls: `down` makes every call fail like a lost connection. */
function switchablePrimary(clock: ReturnType<typeof createManualClock>) {
  const inner = createMemoryRateLimiter({ clock, pruneIntervalMs: 0 });
  const held: Array<(error: Error) => void> = [];
  const primary = {
    down: false,
    hold: false,
    calls: 0,
    /** Fails every call that `hold` kept pending. */
    failHeld() {
      for (const fail of held.splice(0)) fail(new Error('Connection is closed.'));
    },
    async run(call: () => Promise<LimitResult>): Promise<LimitResult> {
      primary.calls += 1;
      if (primary.hold) return new Promise((_, reject) => held.push(reject));
      if (primary.down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
      return call();
    },
    check: (input: LimitCheck, now?: number) => primary.run(() => inner.check(input, now)),
    peek: (input: LimitCheck, now?: number) => primary.run(() => inner.peek(input, now)),
    close: () => inner.close(),
  };
  return primary satisfies RateLimiter;
}

function setup(options: { strict?: { divisor: number } } = {}) {
  const clock = createManualClock();
  const primary = switchablePrimary(clock);
  const fallbacks: FallbackEvent[] = [];
  const recoveries: RecoverEvent[] = [];
  const limiter = createFallbackRateLimiter({
    primary,
    clock,
    probeIntervalMs: PROBE_MS,
    onFallback: (event) => fallbacks.push(event),
    onRecover: (event) => recoveries.push(event),
    ...options,
  });
  return { clock, primary, limiter, fallbacks, recoveries };
}

async function outcomes(limiter: RateLimiter, input: LimitCheck, attempts: number): Promise<boolean[]> {
  const seen: boolean[] = [];
  for (let i = 0; i < attempts; i += 1) seen.push((await limiter.check(input)).allowed);
  return seen;
}

describe('fallback rate limiter', () => {
  const policy = { rates: [{ key: 'consumer:f', limit: 3, windowMs: MINUTE }] };

  test('uses the primary while it answers', async () => {
    const { limiter, primary } = setup();
    assert.deepEqual(await outcomes(limiter, policy, 4), [true, true, true, false]);
    assert.equal(primary.calls, 4);
    assert.deepEqual(limiter.stats, { fallbacks: 0, outages: 0, degraded: false });
  });

  test('an outage: no throw, local limits, counted, reported once, and the primary left alone until the probe', async () => {
    const { limiter, primary, fallbacks } = setup();
    assert.equal((await limiter.check(policy)).allowed, true);
    primary.down = true;
    assert.deepEqual(await outcomes(limiter, policy, 4), [true, true, true, false], 'the local limit is the same 3/min');
    assert.equal(primary.calls, 2, 'after the first failure, checks go straight to the local limiter');
    assert.deepEqual(limiter.stats, { fallbacks: 4, outages: 1, degraded: true });
    assert.equal(fallbacks.length, 1);
    assert.match(String((fallbacks[0]?.error as Error | undefined)?.message), /enableOfflineQueue/);
    assert.equal((await limiter.peek(policy)).allowed, false, 'peek answers locally too');
  });

  test('recovers by itself on the first successful probe, and reports it once', async () => {
    const { limiter, primary, clock, fallbacks, recoveries } = setup();
    primary.down = true;
    await limiter.check(policy);
    clock.advance(PROBE_MS);
    await limiter.check(policy);
    assert.equal(primary.calls, 2, 'the probe went to the primary');
    assert.equal(limiter.stats.degraded, true, 'a failed probe keeps the outage');
    assert.equal(fallbacks.length, 1, 'and does not report it again');

    primary.down = false;
    clock.advance(PROBE_MS - 1);
    await limiter.check(policy);
    assert.equal(primary.calls, 2, 'no probe before the interval');
    clock.advance(1);
    const back = await limiter.check(policy);
    assert.equal(primary.calls, 3);
    assert.equal(back.rates[0]?.remaining, 2, 'answered by the primary, which saw only this check');
    assert.deepEqual(limiter.stats, { fallbacks: 3, outages: 1, degraded: false });
    assert.equal(recoveries.length, 1);
    assert.deepEqual(recoveries[0], { at: clock.now(), downtimeMs: 2 * PROBE_MS, fallbacks: 3 });
    await limiter.check(policy);
    assert.equal(primary.calls, 4, 'and stays on the primary');
  });

  test('a call sent before a recovery that fails after it does not start a new outage', async () => {
    const { limiter, primary, clock, fallbacks } = setup();
    primary.hold = true;
    const early = limiter.check(policy);
    primary.hold = false;
    primary.down = true;
    await limiter.check(policy);
    primary.down = false;
    clock.advance(PROBE_MS);
    await limiter.check(policy);
    assert.equal(limiter.stats.degraded, false);
    primary.failHeld();
    assert.equal((await early).allowed, true, 'the late failure is answered locally');
    assert.deepEqual(limiter.stats, { fallbacks: 2, outages: 1, degraded: false });
    assert.equal(fallbacks.length, 1);
  });

  test('strict mode divides limits during an outage, never below one, never unlimited', async () => {
    const { limiter, primary } = setup({ strict: { divisor: 4 } });
    primary.down = true;
    const tenPerMinute = { rates: [{ key: 'token:client-a', limit: 10, windowMs: MINUTE }] };
    assert.deepEqual(await outcomes(limiter, tenPerMinute, 3), [true, true, false]);
    const threePerMinute = { rates: [{ key: 'token:client-b', limit: 3, windowMs: MINUTE }] };
    assert.deepEqual(await outcomes(limiter, threePerMinute, 2), [true, false]);
    const quota = { quotas: [{ key: 'token:client-c', limit: 8, period: 'day' as const }] };
    assert.deepEqual(await outcomes(limiter, quota, 3), [true, true, false]);
  });

  test('a throwing callback does not turn a check into a fault', async () => {
    const clock = createManualClock();
    const primary = switchablePrimary(clock);
    const limiter = createFallbackRateLimiter({
      primary,
      clock,
      onFallback: () => {
        throw new Error('logger broke');
      },
    });
    primary.down = true;
    assert.equal((await limiter.check(policy)).allowed, true);
  });

  test('bad input throws as a fault and is not mistaken for an outage', async () => {
    const { limiter } = setup();
    await assert.rejects(limiter.check({ rates: [{ key: 'k', limit: -1, windowMs: MINUTE }] }), RangeError);
    assert.deepEqual(limiter.stats, { fallbacks: 0, outages: 0, degraded: false });
    assert.throws(() => createFallbackRateLimiter({ primary: createMemoryRateLimiter(), strict: { divisor: 0 } }), /divisor/);
  });
});

describe('fallback rate limiter on Redis behind a proxy that is cut mid-run', () => {
  test('Redis cut: no throw, local limits, counted; Redis used again once it is back', { skip: redisSkip }, async () => {
    const proxy = await startRedisProxy(redisUrl!);
    const errors: Error[] = [];
    const viaProxy = createRateLimitRedis(proxy.url, { commandTimeoutMs: 500, maxReconnectDelayMs: 50, onError: (error) => errors.push(error) });
    const direct = new Redis(redisUrl!, { lazyConnect: true });
    const prefix = randomPrefix();
    const clock = createManualClock();
    const fallbacks: FallbackEvent[] = [];
    const recoveries: RecoverEvent[] = [];
    const limiter = createFallbackRateLimiter({
      primary: createRedisRateLimiter({ redis: viaProxy, prefix, clock }),
      clock,
      probeIntervalMs: PROBE_MS,
      onFallback: (event) => fallbacks.push(event),
      onRecover: (event) => recoveries.push(event),
    });
    const policy = { rates: [{ key: 'consumer:proxied', limit: 3, windowMs: MINUTE }] };
    const counter = `${prefix}r:60000:consumer:proxied`;
    try {
      await direct.connect();
      await waitUntilReady(viaProxy);

      const first = await limiter.check(policy);
      assert.equal(first.rates[0]?.remaining, 2);
      assert.equal(await direct.hget(counter, 'c'), '1', 'the first check was counted in Redis');

      const closed = nextEvent(viaProxy, 'close');
      proxy.cut();
      await closed;
      assert.deepEqual(await outcomes(limiter, policy, 4), [true, true, true, false], 'the per-node limit applies');
      assert.deepEqual(limiter.stats, { fallbacks: 4, outages: 1, degraded: true });
      assert.equal(fallbacks.length, 1);
      assert.equal(await direct.hget(counter, 'c'), '1', 'nothing reached Redis during the outage');

      const ready = nextEvent(viaProxy, 'ready');
      proxy.restore();
      await ready;
      clock.advance(PROBE_MS);
      const back = await limiter.check(policy);
      assert.equal(back.allowed, true);
      assert.equal(back.rates[0]?.remaining, 1, 'answered from the Redis counter again');
      assert.equal(await direct.hget(counter, 'c'), '2');
      assert.equal(limiter.stats.degraded, false);
      assert.equal(recoveries.length, 1);
      assert.equal(recoveries[0]?.fallbacks, 4);
    } finally {
      await limiter.close();
      viaProxy.disconnect();
      await proxy.close();
      await deleteKeysUnder(direct, prefix);
      await direct.quit();
    }
  });
});
