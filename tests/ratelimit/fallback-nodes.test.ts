// Per-node limits in a Redis outage, for a cluster: divided by the live nodes (as the change channel's
// heartbeats count them, held while the channel is down), and what each node admitted meanwhile carried
// over into the shared counters when they are back. The two-node proof over HTTP is in
// tests/security/limits-redis-outage.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createNodeCount } from '../../src/cluster/nodes.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createFallbackRateLimiter } from '../../src/ratelimit/fallback.js';
import type { CountedUnits, LimitCheck, LimitResult, RateLimiter } from '../../src/ratelimit/interface.js';
import { createMemoryRateLimiter } from '../../src/ratelimit/memory.js';

const MINUTE = 60_000;
const PROBE_MS = 1_000;

/** A shared limiter (memory, with add) that the test can take down. */
function sharedLimiter(clock: ReturnType<typeof createManualClock>) {
  const inner = createMemoryRateLimiter({ clock, pruneIntervalMs: 0 });
  const shared = {
    down: false,
    addFails: false,
    /** While set, add() waits for it. */
    addGate: undefined as Promise<void> | undefined,
    added: [] as CountedUnits[],
    async run(call: () => Promise<LimitResult>): Promise<LimitResult> {
      if (shared.down) throw new Error('Connection is closed.');
      return call();
    },
    check: (input: LimitCheck, now?: number) => shared.run(() => inner.check(input, now)),
    peek: (input: LimitCheck, now?: number) => shared.run(() => inner.peek(input, now)),
    async add(counted: readonly CountedUnits[], now?: number) {
      if (shared.down || shared.addFails) throw new Error('Connection is closed.');
      await shared.addGate;
      shared.added.push(...counted.map((c) => ({ ...c })));
      await inner.add!(counted, now);
    },
    close: () => inner.close(),
  };
  return shared satisfies RateLimiter;
}

async function admitted(limiter: RateLimiter, input: LimitCheck, attempts: number): Promise<number> {
  let count = 0;
  for (let i = 0; i < attempts; i += 1) if ((await limiter.check(input)).allowed) count += 1;
  return count;
}

const tenPerMinute = (key: string) => ({ rates: [{ key, limit: 10, windowMs: MINUTE }] });

describe('live-node count', () => {
  test('counts itself and every peer heard from within the stale time; forgets the silent ones', () => {
    const clock = createManualClock();
    const nodes = createNodeCount({ clock, staleAfterMs: 15_000 });
    assert.equal(nodes.count(), 1, 'alone');
    assert.equal(nodes.seen('b'), true, 'a new peer');
    assert.equal(nodes.seen('b'), false, 'known already');
    nodes.seen('c');
    assert.equal(nodes.count(), 3);
    clock.advance(10_000);
    nodes.seen('b');
    clock.advance(5_001);
    assert.equal(nodes.count(), 2, 'c was silent for more than 15 s');
  });

  test('while the channel is down the count is held; when it is back known peers get a fresh grace period', () => {
    const clock = createManualClock();
    const nodes = createNodeCount({ clock, staleAfterMs: 15_000 });
    nodes.seen('b');
    nodes.seen('c');
    nodes.hold();
    clock.advance(60_000);
    assert.equal(nodes.count(), 3, 'the last known count, not the peers still remembered');
    nodes.release();
    assert.equal(nodes.count(), 3, 'peers are not dropped before they could be heard again');
    clock.advance(15_001);
    assert.equal(nodes.count(), 1);
  });

  test('a flood of made-up node ids cannot grow it past its cap', () => {
    const nodes = createNodeCount({ clock: createManualClock(), staleAfterMs: 15_000, maxPeers: 8 });
    for (let i = 0; i < 1_000; i += 1) nodes.seen(`node-${i}`);
    assert.equal(nodes.count(), 9);
  });
});

describe('fallback limits divided by the live nodes', () => {
  test('10/min on 2 nodes: 5 per node; the count at the outage start is kept when peers fall silent, a larger one is used', async () => {
    const clock = createManualClock();
    const shared = sharedLimiter(clock);
    let live = 2;
    const limiter = createFallbackRateLimiter({ primary: shared, clock, probeIntervalMs: PROBE_MS, liveNodes: () => live });
    shared.down = true;
    assert.equal(await admitted(limiter, tenPerMinute('consumer:a'), 10), 5);
    assert.equal(limiter.outage.divisor, 2);
    live = 1; // the peers' heartbeats cannot arrive during the outage
    assert.equal(await admitted(limiter, tenPerMinute('consumer:b'), 10), 5, 'still divided by the last known count');
    live = 3;
    assert.equal(await admitted(limiter, tenPerMinute('consumer:c'), 10), 3, 'a node seen since counts too');
    assert.equal(await admitted(limiter, { rates: [{ key: 'consumer:d', limit: 2, windowMs: MINUTE }] }, 5), 1, 'never below one per window');
    assert.equal(await admitted(limiter, { quotas: [{ key: 'key:q', limit: 9, period: 'day' }] }, 9), 3, 'quotas are divided too');
  });

  test('without an outage nothing is divided', async () => {
    const clock = createManualClock();
    const limiter = createFallbackRateLimiter({ primary: sharedLimiter(clock), clock, liveNodes: () => 4 });
    assert.equal(await admitted(limiter, tenPerMinute('consumer:a'), 12), 10);
  });

  test('strict limits use the larger of their divisor and the live nodes', async () => {
    const clock = createManualClock();
    const shared = sharedLimiter(clock);
    const limiter = createFallbackRateLimiter({ primary: shared, clock, strict: { divisor: 4 }, liveNodes: () => 5 });
    shared.down = true;
    assert.equal(await admitted(limiter, tenPerMinute('token:a'), 10), 2);
  });
});

describe('outage traffic carried over to the shared counters', () => {
  test('what a node admitted on its own reaches the shared counters before the probe is judged, so there is no burst after restore', async () => {
    const clock = createManualClock();
    const shared = sharedLimiter(clock);
    const limiter = createFallbackRateLimiter({ primary: shared, clock, probeIntervalMs: PROBE_MS, liveNodes: () => 2, carryOver: true });
    const both = { rates: [{ key: 'consumer:a', limit: 10, windowMs: MINUTE }], quotas: [{ key: 'consumer:a', limit: 100, period: 'month' as const }] };
    assert.equal(await admitted(limiter, both, 2), 2, 'counted in the shared limiter');
    shared.down = true;
    assert.equal(await admitted(limiter, both, 8), 5, 'locally: 10 / 2 nodes');
    assert.equal(limiter.outage.carrying, 2, 'one rate window and one quota period to carry');
    assert.equal(shared.added.length, 0, 'nothing added');

    shared.down = false;
    clock.advance(PROBE_MS);
    const probe = await limiter.check(both);
    assert.equal(limiter.stats.degraded, false);
    assert.equal(limiter.outage.carried, 2);
    assert.equal(probe.rates[0]?.remaining, 2, '10 − (2 before + 5 during the outage + this one)');
    assert.equal(probe.quotas[0]?.used, 8);
    assert.equal(await admitted(limiter, both, 5), 2, 'and the window is full after two more');
    assert.deepEqual(
      shared.added.map((c) => [c.kind, c.units]),
      [
        ['rate', 5],
        ['quota', 5],
      ],
    );
  });

  test('a failed hand-over keeps the counts for the next probe, with what was admitted meanwhile', async () => {
    const clock = createManualClock();
    const shared = sharedLimiter(clock);
    const limiter = createFallbackRateLimiter({ primary: shared, clock, probeIntervalMs: PROBE_MS, carryOver: true });
    shared.down = true;
    assert.equal(await admitted(limiter, tenPerMinute('consumer:a'), 3), 3);
    shared.down = false;
    shared.addFails = true;
    clock.advance(PROBE_MS);
    assert.equal((await limiter.check(tenPerMinute('consumer:a'))).allowed, true, 'answered locally');
    assert.equal(limiter.stats.degraded, true, 'a failed hand-over is a failed probe');
    shared.addFails = false;
    clock.advance(PROBE_MS);
    const probe = await limiter.check(tenPerMinute('consumer:a'));
    assert.equal(limiter.stats.degraded, false);
    assert.equal(probe.rates[0]?.remaining, 5, '4 carried over + the probe');
  });

  test('what is admitted locally while the probe is out is handed over too, not left for the next outage', async () => {
    const clock = createManualClock();
    const shared = sharedLimiter(clock);
    const limiter = createFallbackRateLimiter({ primary: shared, clock, probeIntervalMs: PROBE_MS, carryOver: true });
    shared.down = true;
    assert.equal(await admitted(limiter, tenPerMinute('consumer:a'), 2), 2);
    shared.down = false;
    let open!: () => void;
    shared.addGate = new Promise((resolve) => (open = resolve));
    clock.advance(PROBE_MS);
    const probe = limiter.check(tenPerMinute('consumer:a'));
    assert.equal((await limiter.check(tenPerMinute('consumer:a'))).allowed, true, 'answered locally while the probe waits');
    open();
    shared.addGate = undefined;
    assert.equal((await probe).rates[0]?.remaining, 7, '2 carried + the probe');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limiter.outage.carrying, 0);
    assert.equal((await limiter.peek(tenPerMinute('consumer:a'))).rates[0]?.remaining, 6, 'and the one admitted meanwhile');
  });

  test('without carryOver (the adapter default) the shared counters are left alone', async () => {
    const clock = createManualClock();
    const shared = sharedLimiter(clock);
    const limiter = createFallbackRateLimiter({ primary: shared, clock, probeIntervalMs: PROBE_MS });
    shared.down = true;
    await admitted(limiter, tenPerMinute('consumer:a'), 3);
    shared.down = false;
    clock.advance(PROBE_MS);
    await limiter.check(tenPerMinute('consumer:a'));
    assert.equal(shared.added.length, 0, 'nothing added');
  });
});
