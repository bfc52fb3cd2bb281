// Rate limiting fails soft: a RateLimiter that uses the shared (Redis) limiter and, while it errors, answers
// from a per-node memory limiter, reports the outage once, probes now and then, and returns by itself.
// Local limits are the shared ones divided by the number of live nodes, so the cluster as a whole stays
// near the shared limit; what a node admitted on its own is added to the shared counters when they are back.
import { type Clock, systemClock } from '../lib/clock.js';
import type { CountedUnits, LimitCheck, LimitResult, RateLimiter } from './interface.js';
import { createMemoryRateLimiter } from './memory.js';
import { checkTime, type NormalizedCheck, normalizeCheck } from './normalize.js';
import { periodStart } from './period.js';

export interface FallbackEvent {
  /** The error that started the outage. Its message may name the Redis host; log it, do not return it to clients. */
  error: unknown;
  at: number;
}

export interface RecoverEvent {
  at: number;
  downtimeMs: number;
  /** Checks answered locally during this outage. */
  fallbacks: number;
}

export interface FallbackRateLimiterOptions {
  /** The shared limiter, normally createRedisRateLimiter(...). The caller closes it. */
  primary: RateLimiter;
  /** Per-node limiter for outages; default a memory limiter on the same clock, closed with this one. */
  local?: RateLimiter;
  clock?: Clock;
  /** During an outage, one check every this often tries the primary again. Default 1 000 ms. */
  probeIntervalMs?: number;
  /**
   * Live nodes sharing the primary, this one included (the cluster's heartbeat count). During an outage every
   * limit is divided by the count at its start, or by a larger one seen since (never below 1 per window), so
   * the nodes together allow about the shared limit. Without it, local limits equal the shared ones.
   */
  liveNodes?: () => number;
  /**
   * For brute-force counters: during an outage every limit is divided by at least `divisor` (say, the largest
   * expected node count), even when fewer nodes are known, so a node that has not yet heard of its peers stays strict.
   */
  strict?: { divisor: number };
  /**
   * Add what this node admitted on its own to the primary's counters when it is back (needs `primary.add`),
   * so outage traffic counts against the shared limits and quotas rather than a fresh allowance. Default false.
   */
  carryOver?: boolean;
  /** Distinct counters whose outage traffic is carried over; more are admitted but not carried. Default 100 000. */
  maxCarriedCounters?: number;
  /** Once per outage; wire a log line and an outage metric here. */
  onFallback?: (event: FallbackEvent) => void;
  /** Once per outage, when the primary answers again. */
  onRecover?: (event: RecoverEvent) => void;
}

export interface FallbackStats {
  /** Checks and peeks answered by the local limiter since creation; a Prometheus counter reads this. */
  fallbacks: number;
  /** Outages seen since creation. */
  outages: number;
  /** True while the primary is considered down. */
  degraded: boolean;
}

export interface OutageState {
  /** What local limits are divided by in the current (or last) outage. */
  divisor: number;
  /** Counters whose outage traffic waits to be added to the shared limiter. */
  carrying: number;
  /** Counters whose outage traffic was added to the shared limiter when it was last back. */
  carried: number;
}

export interface FallbackRateLimiter extends RateLimiter {
  readonly stats: Readonly<FallbackStats>;
  readonly outage: Readonly<OutageState>;
}

function divideLimits(input: LimitCheck, divisor: number): LimitCheck {
  const divide = (limit: number) => (limit === 0 ? 0 : Math.max(1, Math.floor(limit / divisor)));
  const divided: LimitCheck = {};
  if (input.rates) divided.rates = input.rates.map((policy) => ({ ...policy, limit: divide(policy.limit) }));
  if (input.quotas) divided.quotas = input.quotas.map((policy) => ({ ...policy, limit: divide(policy.limit) }));
  return divided;
}

/** A node count that cannot be used as a divisor counts as one node. */
function nodeCount(read: (() => number) | undefined): number {
  const count = read?.() ?? 1;
  return Number.isFinite(count) && count >= 1 ? Math.floor(count) : 1;
}

export function createFallbackRateLimiter(options: FallbackRateLimiterOptions): FallbackRateLimiter {
  const { primary, onFallback, onRecover, liveNodes } = options;
  const clock = options.clock ?? systemClock;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const strictDivisor = options.strict?.divisor ?? 1;
  if (!(Number.isFinite(strictDivisor) && strictDivisor >= 1)) throw new RangeError('strict.divisor must be ≥ 1');
  const maxCarried = options.maxCarriedCounters ?? 100_000;
  const ownsLocal = options.local === undefined;
  const local = options.local ?? createMemoryRateLimiter({ clock });

  const carryOver = options.carryOver === true && primary.add !== undefined;
  const stats: FallbackStats = { fallbacks: 0, outages: 0, degraded: false };
  const outage: OutageState = { divisor: 1, carrying: 0, carried: 0 };
  /** Nodes live when the outage began: the "last known" count, kept even if the count falls meanwhile. */
  let nodesAtOutageStart = 1;
  /** Units admitted locally during outages, by counter and window or period, until the primary takes them. */
  let carried = new Map<string, CountedUnits>();
  let outageStartedAt = 0;
  let fallbacksAtOutageStart = 0;
  let nextProbeAt = 0;
  // Bumped on every transition, so a call that was sent before a recovery and fails after it
  // cannot declare a second outage.
  let generation = 0;

  // A throwing callback must not turn a rate-limit answer into a fault.
  function notify<T>(callback: ((event: T) => void) | undefined, event: T): void {
    try {
      callback?.(event);
    } catch {
      // The callback's own failure is the caller's to log; the limiter keeps answering.
    }
  }

  function enterOutage(error: unknown, at: number): void {
    generation += 1;
    stats.degraded = true;
    stats.outages += 1;
    outageStartedAt = at;
    fallbacksAtOutageStart = stats.fallbacks;
    nextProbeAt = at + probeIntervalMs;
    nodesAtOutageStart = nodeCount(liveNodes);
    notify(onFallback, { error, at });
  }

  function leaveOutage(at: number, carriedCounters: number): void {
    generation += 1;
    stats.degraded = false;
    outage.carried = carriedCounters;
    notify(onRecover, { at, downtimeMs: at - outageStartedAt, fallbacks: stats.fallbacks - fallbacksAtOutageStart });
  }

  /** Remembers what a locally admitted check used, to hand it to the primary when it is back. */
  function carry(check: NormalizedCheck, at: number): void {
    const put = (id: string, make: () => CountedUnits, units: number) => {
      const entry = carried.get(id);
      if (entry) entry.units += units;
      else if (carried.size < maxCarried) carried.set(id, make());
      outage.carrying = carried.size;
    };
    for (const { key, windowMs, cost, storageKey } of check.rates) {
      if (cost === 0) continue;
      const windowStart = at - (at % windowMs);
      put(`${storageKey}@${windowStart}`, () => ({ kind: 'rate', key, windowMs, windowStart, units: cost }), cost);
    }
    for (const { key, period, cost, storageKey } of check.quotas) {
      if (cost === 0) continue;
      const start = periodStart(at, period);
      put(`${storageKey}@${start}`, () => ({ kind: 'quota', key, period, periodStart: start, units: cost }), cost);
    }
  }

  /** Hands the outage traffic to the primary; on failure it is kept for the next probe. */
  async function handOver(at: number): Promise<number> {
    if (carried.size === 0) return 0;
    const batch = carried;
    carried = new Map();
    outage.carrying = 0;
    try {
      await primary.add!([...batch.values()], at);
      return batch.size;
    } catch (error) {
      // Counted meanwhile (other calls answered locally) goes on top of what is put back.
      for (const [id, entry] of carried) {
        const earlier = batch.get(id);
        if (earlier) earlier.units += entry.units;
        else batch.set(id, entry);
      }
      carried = batch;
      outage.carrying = carried.size;
      throw error;
    }
  }

  async function answerLocally(input: LimitCheck, check: NormalizedCheck, at: number, commit: boolean): Promise<LimitResult> {
    stats.fallbacks += 1;
    outage.divisor = Math.max(strictDivisor, nodesAtOutageStart, nodeCount(liveNodes));
    const localInput = outage.divisor === 1 ? input : divideLimits(input, outage.divisor);
    if (!commit) return local.peek(localInput, at);
    const result = await local.check(localInput, at);
    if (carryOver && result.allowed) carry(check, at);
    return result;
  }

  async function run(input: LimitCheck, now: number | undefined, commit: boolean): Promise<LimitResult> {
    // Bad input is a fault of the caller, not of Redis: let it throw here rather than count as an outage.
    const check = normalizeCheck(input);
    const at = checkTime(now ?? clock.now());
    const probing = stats.degraded;
    if (probing) {
      if (at < nextProbeAt) return answerLocally(input, check, at, commit);
      // Only this call probes; the others keep answering locally until it succeeds.
      nextProbeAt = at + probeIntervalMs;
    }
    const sentIn = generation;
    try {
      // The outage traffic reaches the shared counters before this check is judged against them.
      const handedOver = probing ? await handOver(at) : 0;
      const result = commit ? await primary.check(input, at) : await primary.peek(input, at);
      // Only a call sent during the outage (a probe) proves recovery; an older one may just have been slow.
      if (stats.degraded && sentIn === generation) {
        leaveOutage(at, handedOver);
        // Admitted locally while the probe was out: handed over now rather than at the next outage.
        if (carried.size > 0) void handOver(at).catch(() => {});
      }
      return result;
    } catch (error) {
      if (!stats.degraded && sentIn === generation) enterOutage(error, at);
      return answerLocally(input, check, at, commit);
    }
  }

  return {
    stats,
    outage,
    check: (input, now) => run(input, now, true),
    peek: (input, now) => run(input, now, false),
    async close() {
      if (ownsLocal) await local.close();
    },
  };
}
