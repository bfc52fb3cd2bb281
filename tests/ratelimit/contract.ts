// The RateLimiter contract: one case file, run against every adapter (memory.test.ts, redis.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createManualClock } from '../../src/lib/clock.js';
import type { LimitCheck, LimitResult, RateLimiter } from '../../src/ratelimit/interface.js';

export type ManualClock = ReturnType<typeof createManualClock>;

export interface ContractSubject {
  limiter: RateLimiter;
  /** Removes whatever the limiter stored (Redis keys under the test's prefix). */
  cleanup(): Promise<void>;
}

const MINUTE = 60_000;
// createManualClock starts at 2026-01-01T00:00:00Z, a multiple of every window used here.
const START = Date.UTC(2026, 0, 1);

/** A small deterministic PRNG (mulberry32), so a failing random sequence can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function countAllowed(limiter: RateLimiter, input: LimitCheck, attempts: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < attempts; i += 1) if ((await limiter.check(input)).allowed) allowed += 1;
  return allowed;
}

function only(result: LimitResult) {
  const decision = result.rates[0];
  assert.ok(decision, 'the result has one rate decision');
  return decision;
}

export function rateLimiterContract(name: string, create: (clock: ManualClock) => Promise<ContractSubject>, skip: string | false = false): void {
  async function withLimiter(run: (limiter: RateLimiter, clock: ManualClock) => Promise<void>): Promise<void> {
    const clock = createManualClock(START);
    const subject = await create(clock);
    try {
      await run(subject.limiter, clock);
    } finally {
      await subject.cleanup();
    }
  }

  describe(`RateLimiter contract: ${name}`, () => {
    test('admits N requests, refuses request N+1 with a Retry-After, admits again once it has passed', { skip }, () =>
      withLimiter(async (limiter, clock) => {
        const policy = { rates: [{ key: 'consumer:a', limit: 5, windowMs: MINUTE }] };
        clock.advance(10_000);
        for (let i = 0; i < 5; i += 1) {
          const result = await limiter.check(policy);
          assert.equal(result.allowed, true);
          assert.equal(result.code, 'ALLOWED');
          assert.equal(result.retryAfterMs, 0);
          assert.equal(only(result).remaining, 4 - i);
        }
        const refused = await limiter.check(policy);
        assert.equal(refused.allowed, false);
        assert.equal(refused.code, 'RATE_LIMITED');
        assert.equal(only(refused).remaining, 0);
        // The five requests at 0:10 weigh on the sliding window until one slot frees at 1:12.
        assert.equal(refused.retryAfterMs, 62_000);
        assert.equal(only(refused).retryAfterMs, 62_000);
        assert.equal(only(refused).resetMs, 62_000);
        clock.advance(61_999);
        assert.equal((await limiter.check(policy)).allowed, false, 'one millisecond early is still refused');
        clock.advance(1);
        const again = await limiter.check(policy);
        assert.equal(again.allowed, true);
        assert.equal(only(again).remaining, 0);
      }),
    );

    test('sliding window: a full window just before an edge leaves no room just after it (no 2× burst)', { skip }, () =>
      withLimiter(async (limiter, clock) => {
        const policy = { rates: [{ key: 'consumer:edge', limit: 10, windowMs: MINUTE }] };
        clock.advance(59_000);
        assert.equal(await countAllowed(limiter, policy, 11), 10, 'ten pass in the last second of the window');
        clock.advance(1_000);
        // A fixed window would start from zero here and let ten more through.
        assert.equal(await countAllowed(limiter, policy, 10), 0, 'none pass at the edge');
        clock.advance(6_000);
        // The previous window now weighs 54/60 × 10 = 9: exactly one slot.
        assert.equal(await countAllowed(limiter, policy, 5), 1);
        clock.advance(24_000);
        // Half way: 10 × 1/2 + 1 = 6 counted, four slots.
        assert.equal(await countAllowed(limiter, policy, 10), 4);
      }),
    );

    test('several policies: a refused key does not use its consumer’s budget (check all, then commit)', { skip }, () =>
      withLimiter(async (limiter) => {
        const consumer = { key: 'consumer:c1', limit: 100, windowMs: MINUTE };
        const firstKey = { rates: [consumer, { key: 'key:k1', limit: 2, windowMs: MINUTE }] };
        const outcomes = [];
        for (let i = 0; i < 5; i += 1) outcomes.push((await limiter.check(firstKey)).allowed);
        assert.deepEqual(outcomes, [true, true, false, false, false]);

        const refused = await limiter.check(firstKey);
        assert.equal(refused.code, 'RATE_LIMITED');
        assert.equal(refused.rates[0]?.allowed, true, 'the consumer policy alone would admit it');
        assert.equal(refused.rates[0]?.remaining, 98, 'only the two admitted requests were charged');
        assert.equal(refused.rates[1]?.allowed, false);

        const peeked = await limiter.peek({ rates: [consumer] });
        assert.equal(peeked.rates[0]?.remaining, 98);

        const otherKey = await limiter.check({ rates: [consumer, { key: 'key:k2', limit: 2, windowMs: MINUTE }] });
        assert.equal(otherKey.allowed, true, 'another key of the consumer keeps passing');
        assert.equal(otherKey.rates[0]?.remaining, 97);
      }),
    );

    test('quota of 3 per month: the fourth is refused until the month turns (UTC)', { skip }, () =>
      withLimiter(async (limiter, clock) => {
        const policy = { quotas: [{ key: 'key:q', limit: 3, period: 'month' as const }] };
        clock.set(Date.UTC(2026, 0, 20, 12));
        const nextMonth = Date.UTC(2026, 1, 1);
        for (let i = 0; i < 3; i += 1) {
          const result = await limiter.check(policy);
          assert.equal(result.allowed, true);
          assert.equal(result.quotas[0]?.used, i + 1);
          assert.equal(result.quotas[0]?.remaining, 2 - i);
          assert.equal(result.quotas[0]?.resetMs, nextMonth - clock.now());
        }
        const fourth = await limiter.check(policy);
        assert.equal(fourth.allowed, false);
        assert.equal(fourth.code, 'QUOTA_EXCEEDED');
        assert.equal(fourth.retryAfterMs, nextMonth - clock.now());
        assert.equal(fourth.quotas[0]?.used, 3);

        for (let i = 0; i < 2; i += 1) {
          const peeked = await limiter.peek(policy);
          assert.equal(peeked.allowed, false);
          assert.equal(peeked.code, 'QUOTA_EXCEEDED');
          assert.equal(peeked.quotas[0]?.remaining, 0);
          assert.equal(peeked.quotas[0]?.used, 3, 'peeking consumes nothing');
        }

        clock.set(nextMonth - 1);
        assert.equal((await limiter.check(policy)).allowed, false, 'still January');
        clock.set(nextMonth);
        const february = await limiter.check(policy);
        assert.equal(february.allowed, true);
        assert.equal(february.quotas[0]?.used, 1);
        assert.equal(february.quotas[0]?.remaining, 2);
      }),
    );

    test('rates and quotas in one check: whichever refuses, the other is not charged', { skip }, () =>
      withLimiter(async (limiter) => {
        const quotaRefuses = {
          rates: [{ key: 'ip:1', limit: 10, windowMs: MINUTE }],
          quotas: [{ key: 'key:daily', limit: 1, period: 'day' as const }],
        };
        assert.equal((await limiter.check(quotaRefuses)).allowed, true);
        const byQuota = await limiter.check(quotaRefuses);
        assert.equal(byQuota.code, 'QUOTA_EXCEEDED');
        assert.equal(byQuota.rates[0]?.remaining, 9, 'the rate limit was not charged');

        const rateRefuses = {
          rates: [{ key: 'ip:2', limit: 1, windowMs: MINUTE }],
          quotas: [{ key: 'key:monthly', limit: 5, period: 'month' as const }],
        };
        assert.equal((await limiter.check(rateRefuses)).allowed, true);
        const byRate = await limiter.check(rateRefuses);
        assert.equal(byRate.code, 'RATE_LIMITED');
        assert.equal(byRate.quotas[0]?.used, 1, 'the quota was not charged');

        const both = await limiter.check({ rates: rateRefuses.rates, quotas: quotaRefuses.quotas });
        assert.equal(both.code, 'QUOTA_EXCEEDED', 'the longer-lasting refusal is named');
      }),
    );

    test('a day quota refills at 00:00 UTC; a total quota never does', { skip }, () =>
      withLimiter(async (limiter, clock) => {
        const daily = { quotas: [{ key: 'key:d', limit: 1, period: 'day' as const }] };
        const lifetime = { quotas: [{ key: 'key:t', limit: 2, period: 'total' as const }] };
        clock.set(Date.UTC(2026, 2, 5, 23, 59, 59, 999) - 5);
        assert.equal((await limiter.check(daily)).allowed, true);
        const refused = await limiter.check(daily);
        assert.equal(refused.allowed, false);
        assert.equal(refused.retryAfterMs, 6);
        clock.advance(6);
        assert.equal((await limiter.check(daily)).allowed, true, 'a new UTC day');

        assert.equal(await countAllowed(limiter, lifetime, 3), 2);
        clock.advance(400 * 86_400_000);
        const exhausted = await limiter.check(lifetime);
        assert.equal(exhausted.allowed, false);
        assert.equal(exhausted.retryAfterMs, null, 'waiting cannot help');
        assert.equal(exhausted.quotas[0]?.resetMs, null);
      }),
    );

    test('costs: a request may use several units; one larger than the limit never passes', { skip }, () =>
      withLimiter(async (limiter) => {
        const rate = (cost: number) => ({ rates: [{ key: 'key:cost', limit: 5, windowMs: MINUTE, cost }] });
        const first = await limiter.check(rate(3));
        assert.equal(first.allowed, true);
        assert.equal(only(first).remaining, 2);
        const tooMuch = await limiter.check(rate(3));
        assert.equal(tooMuch.allowed, false);
        assert.ok((tooMuch.retryAfterMs ?? 0) > 0);
        assert.equal((await limiter.check(rate(2))).allowed, true);
        const never = await limiter.check(rate(6));
        assert.equal(never.allowed, false);
        assert.equal(never.retryAfterMs, null);
        assert.equal(only(never).retryAfterMs, null);
      }),
    );

    test('counters are separate per key and per window length', { skip }, () =>
      withLimiter(async (limiter) => {
        const perMinute = { rates: [{ key: 'consumer:x', limit: 1, windowMs: MINUTE }] };
        assert.equal(await countAllowed(limiter, perMinute, 2), 1);
        assert.equal((await limiter.check({ rates: [{ key: 'consumer:y', limit: 1, windowMs: MINUTE }] })).allowed, true);
        assert.equal((await limiter.check({ rates: [{ key: 'consumer:x', limit: 1, windowMs: 1_000 }] })).allowed, true);
      }),
    );

    test('peek reports what check would answer and consumes nothing', { skip }, () =>
      withLimiter(async (limiter) => {
        const policy = { rates: [{ key: 'consumer:p', limit: 2, windowMs: MINUTE }] };
        for (let i = 0; i < 3; i += 1) {
          const peeked = await limiter.peek(policy);
          assert.equal(peeked.allowed, true);
          assert.equal(only(peeked).remaining, 2);
        }
        await limiter.check(policy);
        await limiter.check(policy);
        const exhausted = await limiter.peek(policy);
        assert.equal(exhausted.allowed, false);
        assert.equal(exhausted.code, 'RATE_LIMITED');
        assert.ok((exhausted.retryAfterMs ?? 0) > 0);
      }),
    );

    test('one counter named twice in a check is charged for both, or not at all', { skip }, () =>
      withLimiter(async (limiter) => {
        const policy = { key: 'consumer:twice', limit: 3, windowMs: MINUTE, cost: 2 };
        const peeked = await limiter.peek({ rates: [policy, policy] });
        assert.equal(peeked.allowed, false, 'a peek charges a counter named twice for both, as check does');
        assert.equal(peeked.rates[0]?.remaining, 3, 'and reports the unconsumed state');
        const result = await limiter.check({ rates: [policy, policy] });
        assert.equal(result.allowed, false);
        assert.equal((await limiter.peek({ rates: [{ ...policy, cost: 1 }] })).rates[0]?.remaining, 3);
        assert.equal(
          (
            await limiter.check({
              rates: [
                { ...policy, cost: 1 },
                { ...policy, cost: 1 },
              ],
            })
          ).rates[1]?.remaining,
          1,
        );
      }),
    );

    test('concurrent checks never admit more than the limit', { skip }, () =>
      withLimiter(async (limiter) => {
        const policy = { rates: [{ key: 'consumer:race', limit: 10, windowMs: MINUTE }] };
        const results = await Promise.all(Array.from({ length: 40 }, () => limiter.check(policy)));
        assert.equal(results.filter((result) => result.allowed).length, 10);
      }),
    );

    test('an empty check passes; malformed policies throw instead of deciding', { skip }, () =>
      withLimiter(async (limiter) => {
        assert.deepEqual(await limiter.check({}), { allowed: true, code: 'ALLOWED', rates: [], quotas: [], retryAfterMs: 0 });
        const bad: LimitCheck[] = [
          { rates: [{ key: '', limit: 1, windowMs: MINUTE }] },
          { rates: [{ key: 'k', limit: 0, windowMs: MINUTE }] },
          { rates: [{ key: 'k', limit: 1, windowMs: 1.5 }] },
          { rates: [{ key: 'k', limit: 1, windowMs: MINUTE, cost: -1 }] },
          { quotas: [{ key: 'k', limit: 1, period: 'week' as 'day' }] },
        ];
        for (const input of bad) await assert.rejects(limiter.check(input), /rates|quotas/);
        await assert.rejects(limiter.check({ rates: [{ key: 'k', limit: 1, windowMs: MINUTE }] }, START + 0.5), /now/);
      }),
    );

    test('retryAfterMs and resetMs are exact: one millisecond earlier it does not fit, at that time it does', { skip }, () =>
      withLimiter(async (limiter, clock) => {
        const random = seededRandom(42);
        const windowMs = 1_000;
        for (let step = 0; step < 150; step += 1) {
          clock.advance(Math.floor(random() * 400));
          const limit = 1 + Math.floor(random() * 6);
          const cost = 1 + Math.floor(random() * 3);
          const key = `consumer:r${step % 3}`;
          const result = await limiter.check({ rates: [{ key, limit, windowMs, cost }] });
          const decision = only(result);
          const probe = async (at: number, need: number) => (await limiter.peek({ rates: [{ key, limit, windowMs, cost: need }] }, at)).allowed;
          if (!decision.allowed && decision.retryAfterMs !== null) {
            assert.equal(await probe(clock.now() + decision.retryAfterMs, cost), true, `step ${step}: fits after retryAfterMs`);
            if (decision.retryAfterMs > 0) assert.equal(await probe(clock.now() + decision.retryAfterMs - 1, cost), false);
          }
          if (decision.remaining < limit) {
            const need = decision.remaining + 1;
            assert.equal(await probe(clock.now() + decision.resetMs, need), true, `step ${step}: one more unit after resetMs`);
            if (decision.resetMs > 0) assert.equal(await probe(clock.now() + decision.resetMs - 1, need), false);
          }
        }
      }),
    );

    test('add: units admitted elsewhere count in their window or period; stale ones are dropped', { skip }, () =>
      withLimiter(async (limiter, clock) => {
        assert.ok(limiter.add, 'an adapter holding counters offers add()');
        const rate = (key: string) => ({ rates: [{ key, limit: 10, windowMs: MINUTE }] });
        clock.advance(30_000);
        await limiter.check(rate('consumer:a'));
        // 6 more units in this window, and 4 into a counter nobody has used yet.
        await limiter.add!([
          { kind: 'rate', key: 'consumer:a', windowMs: MINUTE, windowStart: START, units: 6 },
          { kind: 'rate', key: 'consumer:b', windowMs: MINUTE, windowStart: START, units: 4 },
        ]);
        assert.equal(only(await limiter.peek(rate('consumer:a'))).remaining, 3);
        assert.equal(only(await limiter.peek(rate('consumer:b'))).remaining, 6);
        // Into the previous window: weighted as the sliding window weighs it (half of it still overlaps).
        clock.advance(MINUTE);
        await limiter.add!([{ kind: 'rate', key: 'consumer:c', windowMs: MINUTE, windowStart: START, units: 8 }]);
        assert.equal(only(await limiter.peek(rate('consumer:c'))).remaining, 6);
        // Two windows back no longer matters: nothing is written.
        await limiter.add!([{ kind: 'rate', key: 'consumer:d', windowMs: MINUTE, windowStart: START - MINUTE, units: 8 }]);
        assert.equal(only(await limiter.peek(rate('consumer:d'))).remaining, 10);

        const quota = (key: string) => ({ quotas: [{ key, limit: 100, period: 'month' as const }] });
        await limiter.check(quota('key:q'));
        await limiter.add!([{ kind: 'quota', key: 'key:q', period: 'month', periodStart: START, units: 50 }]);
        assert.equal((await limiter.peek(quota('key:q'))).quotas[0]?.used, 51);
        // Units of last month do not count against this one.
        clock.set(Date.UTC(2026, 1, 3));
        await limiter.add!([{ kind: 'quota', key: 'key:q', period: 'month', periodStart: START, units: 50 }]);
        assert.equal((await limiter.peek(quota('key:q'))).quotas[0]?.used, 0);
        await limiter.add!([{ kind: 'quota', key: 'key:total', period: 'total', periodStart: 0, units: 7 }]);
        assert.equal((await limiter.peek({ quotas: [{ key: 'key:total', limit: 10, period: 'total' }] })).quotas[0]?.remaining, 3);
      }),
    );
  });
}
