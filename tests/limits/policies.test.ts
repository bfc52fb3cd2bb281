import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock } from '../../src/lib/clock.js';
import { enforceLimits } from '../../src/limits/enforce.js';
import { limitHeaders } from '../../src/limits/headers.js';
import { anyLimit, type IdentityLimits, limitsFor } from '../../src/limits/policies.js';
import { createMemoryRateLimiter } from '../../src/ratelimit/memory.js';

const subject = { api: 'orders', route: 'GET /orders', ip: '203.0.113.7', consumerId: 'con_1', credentialId: 'key_1' };
const none: IdentityLimits = { consumer: { rateLimit: null, quota: null }, credential: { rateLimit: null, quota: null } };

test('each level counts by its own subject and names its policy', () => {
  const check = limitsFor(
    subject,
    { limit: 100, window: '1m', by: 'ip' },
    {
      consumer: { rateLimit: { limit: 10, window: '1s' }, quota: { limit: 1000, period: 'month' } },
      credential: { rateLimit: { limit: 2, window: '1m' }, quota: null },
    },
  );
  assert.deepEqual(
    check.rates.map((r) => [r.name, r.key, r.limit, r.windowMs]),
    [
      ['api-ip', 'api:orders:ip:203.0.113.7', 100, 60_000],
      ['consumer', 'all:consumer:con_1', 10, 1000],
      ['credential', 'all:credential:key_1', 2, 60_000],
    ],
  );
  assert.deepEqual(
    check.quotas.map((q) => [q.name, q.key, q.limit, q.period]),
    [['consumer-quota', 'quota:consumer:con_1', 1000, 'month']],
  );
  assert.deepEqual(limitsFor(subject, undefined, none), { rates: [], quotas: [] });
});

test('headers report every policy and the one closest to its limit; 429 adds Retry-After', async () => {
  const clock = createManualClock(Date.UTC(2026, 0, 31, 23, 59, 0));
  const limiter = createMemoryRateLimiter({ clock });
  const limits: IdentityLimits = { ...none, consumer: { rateLimit: { limit: 5, window: '1m' }, quota: { limit: 3, period: 'month' } } };
  const first = await enforceLimits(limiter, subject, undefined, limits, clock.now());
  assert.equal(first.allowed, true);
  // A monthly quota's window is January's length (31 days), not the time left in it.
  assert.equal(first.headers?.['ratelimit-policy'], '"consumer";q=5;w=60, "consumer-quota";q=3;w=2678400');
  // 4/5 left on the rate, 2/3 on the quota: the quota is closer to its limit.
  assert.equal(first.headers?.ratelimit, '"consumer-quota";r=2;t=60');
  await enforceLimits(limiter, subject, undefined, limits, clock.now());
  await enforceLimits(limiter, subject, undefined, limits, clock.now());
  const refused = await enforceLimits(limiter, subject, undefined, limits, clock.now());
  assert.equal(refused.allowed, false);
  assert.equal(refused.code, 'QUOTA_EXCEEDED');
  assert.equal(refused.headers?.['retry-after'], '60');
  // The next month refills the quota.
  clock.advance(61_000);
  assert.equal((await enforceLimits(limiter, subject, undefined, limits, clock.now())).allowed, true);
  await limiter.close();
});

test('RateLimit t never exceeds the window, however the sliding window holds a unit', async () => {
  const clock = createManualClock(Date.UTC(2026, 11, 7, 12, 0, 0));
  const limiter = createMemoryRateLimiter({ clock });
  const limits: IdentityLimits = { ...none, consumer: { rateLimit: { limit: 5, window: '1m' }, quota: null } };
  for (let i = 0; i < 8; i++) {
    const verdict = await enforceLimits(limiter, subject, undefined, limits, clock.now());
    assert.equal(verdict.headers?.['ratelimit-policy'], '"consumer";q=5;w=60');
    const t = Number(/;t=([0-9]+)$/.exec(verdict.headers!.ratelimit)![1]);
    assert.ok(t > 0 && t <= 60, `t=${t} must be within the 60 s window`);
    // Retry-After stays the exact wait, which may be longer than the window.
    if (!verdict.allowed) assert.ok(Number(verdict.headers?.['retry-after']) >= t);
    clock.advance(5_000);
  }
  await limiter.close();
});

test('a daily quota reports a one-day window; a total quota has neither window nor reset', async () => {
  const clock = createManualClock(Date.UTC(2026, 11, 7, 18, 0, 0));
  const limiter = createMemoryRateLimiter({ clock });
  const daily = await enforceLimits(limiter, subject, undefined, { ...none, consumer: { rateLimit: null, quota: { limit: 10, period: 'day' } } }, clock.now());
  assert.equal(daily.headers?.['ratelimit-policy'], '"consumer-quota";q=10;w=86400');
  assert.equal(daily.headers?.ratelimit, '"consumer-quota";r=9;t=21600');
  const total = await enforceLimits(
    limiter,
    subject,
    undefined,
    { ...none, credential: { rateLimit: null, quota: { limit: 10, period: 'total' } } },
    clock.now(),
  );
  assert.equal(total.headers?.['ratelimit-policy'], '"credential-quota";q=10');
  assert.equal(total.headers?.ratelimit, '"credential-quota";r=9');
  await limiter.close();
});

test('no policy, no headers', async () => {
  const limiter = createMemoryRateLimiter();
  const verdict = await enforceLimits(limiter, subject, undefined, undefined, Date.now());
  assert.deepEqual(verdict, { allowed: true, code: 'ALLOWED', headers: undefined });
  assert.equal(limitHeaders({ rates: [], quotas: [] }, { allowed: true, code: 'ALLOWED', rates: [], quotas: [], retryAfterMs: 0 }, Date.now()), undefined);
  await limiter.close();
});

test('anyLimit is true exactly when limitsFor finds a policy (the gateway skips the limiter otherwise)', () => {
  const rate = { limit: 5, window: '1s' };
  const quota = { limit: 100, period: 'day' as const };
  for (const apiLimit of [undefined, rate]) {
    for (const consumerRate of [null, rate]) {
      for (const consumerQuota of [null, quota]) {
        for (const credentialRate of [null, rate]) {
          for (const credentialQuota of [null, quota]) {
            const limits: IdentityLimits = {
              consumer: { rateLimit: consumerRate, quota: consumerQuota },
              credential: { rateLimit: credentialRate, quota: credentialQuota },
            };
            const check = limitsFor(subject, apiLimit, limits);
            assert.equal(anyLimit(apiLimit, limits), check.rates.length + check.quotas.length > 0);
          }
        }
      }
    }
  }
  assert.equal(anyLimit(undefined, undefined), false);
  assert.equal(anyLimit(undefined, none), false);
});
