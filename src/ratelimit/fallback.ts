// Rate limiting fails soft: a RateLimiter that uses the shared (Redis) limiter and, while it errors, answers
// from a per-node memory limiter, reports the outage once, probes now and then, and returns by itself.
import { systemClock, type Clock } from '../lib/clock.js';
import type { LimitCheck, LimitResult, RateLimiter } from './interface.js';
import { createMemoryRateLimiter } from './memory.js';
import { checkTime, normalizeCheck } from './normalize.js';

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
   * For brute-force counters: during an outage every limit is divided by `divisor` (e.g. the node count), at
   * least 1, so the nodes together never allow more than the shared limit did. Without it, local limits equal
   * the shared ones (fail soft: each node allows the full limit).
   */
  strict?: { divisor: number };
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

export interface FallbackRateLimiter extends RateLimiter {
  readonly stats: Readonly<FallbackStats>;
}

function divideLimits(input: LimitCheck, divisor: number): LimitCheck {
  const divide = (limit: number) => (limit === 0 ? 0 : Math.max(1, Math.floor(limit / divisor)));
  return {
    rates: input.rates?.map((policy) => ({ ...policy, limit: divide(policy.limit) })),
    quotas: input.quotas?.map((policy) => ({ ...policy, limit: divide(policy.limit) })),
  };
}

export function createFallbackRateLimiter(options: FallbackRateLimiterOptions): FallbackRateLimiter {
  const { primary, onFallback, onRecover } = options;
  const clock = options.clock ?? systemClock;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const divisor = options.strict?.divisor;
  if (divisor !== undefined && !(Number.isFinite(divisor) && divisor >= 1)) throw new RangeError('strict.divisor must be ≥ 1');
  const ownsLocal = options.local === undefined;
  const local = options.local ?? createMemoryRateLimiter({ clock });

  const stats: FallbackStats = { fallbacks: 0, outages: 0, degraded: false };
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
    notify(onFallback, { error, at });
  }

  function leaveOutage(at: number): void {
    generation += 1;
    stats.degraded = false;
    notify(onRecover, { at, downtimeMs: at - outageStartedAt, fallbacks: stats.fallbacks - fallbacksAtOutageStart });
  }

  function answerLocally(input: LimitCheck, at: number, commit: boolean): Promise<LimitResult> {
    stats.fallbacks += 1;
    const localInput = divisor === undefined ? input : divideLimits(input, divisor);
    return commit ? local.check(localInput, at) : local.peek(localInput, at);
  }

  async function run(input: LimitCheck, now: number | undefined, commit: boolean): Promise<LimitResult> {
    // Bad input is a fault of the caller, not of Redis: let it throw here rather than count as an outage.
    normalizeCheck(input);
    const at = checkTime(now ?? clock.now());
    if (stats.degraded) {
      if (at < nextProbeAt) return answerLocally(input, at, commit);
      // Only this call probes; the others keep answering locally until it succeeds.
      nextProbeAt = at + probeIntervalMs;
    }
    const sentIn = generation;
    try {
      const result = commit ? await primary.check(input, at) : await primary.peek(input, at);
      // Only a call sent during the outage (a probe) proves recovery; an older one may just have been slow.
      if (stats.degraded && sentIn === generation) leaveOutage(at);
      return result;
    } catch (error) {
      if (!stats.degraded && sentIn === generation) enterOutage(error, at);
      return answerLocally(input, at, commit);
    }
  }

  return {
    stats,
    check: (input, now) => run(input, now, true),
    peek: (input, now) => run(input, now, false),
    async close() {
      if (ownsLocal) await local.close();
    },
  };
}
