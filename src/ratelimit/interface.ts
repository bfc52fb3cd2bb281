// The RateLimiter port: one call per request checks every rate policy and quota that applies, and consumes
// them only if all of them pass. Adapters: memory (one node), redis (cluster-wide), fallback (redis → memory).

/** A sliding-window limit: at most `limit` units per `windowMs`, no 2× burst at window edges. */
export interface RatePolicy {
  /** Who is counted, e.g. `consumer:con_1`, `key:key_9`, `ip:203.0.113.7`. Same key + window = same counter. */
  key: string;
  /** Units allowed per window; a positive integer. */
  limit: number;
  /** Window length in milliseconds; a positive integer. */
  windowMs: number;
  /** Units this request uses; a non-negative integer, 1 when absent. */
  cost?: number;
}

/** Fixed calendar periods in UTC; `total` never refills. */
export type QuotaPeriod = 'day' | 'month' | 'total';

/** A quota: at most `limit` units per period, refilled at the period's start (UTC). */
export interface QuotaPolicy {
  key: string;
  /** Units allowed per period; a non-negative integer. */
  limit: number;
  period: QuotaPeriod;
  /** Units this request uses; a non-negative integer, 1 when absent. */
  cost?: number;
}

/** Everything one request is checked against. All must pass, or nothing is consumed. */
export interface LimitCheck {
  rates?: readonly RatePolicy[];
  quotas?: readonly QuotaPolicy[];
}

export interface RateDecision {
  key: string;
  limit: number;
  windowMs: number;
  cost: number;
  /** Whether this policy alone admits the request. */
  allowed: boolean;
  /** Units left now (after this request, if the whole check was committed). */
  remaining: number;
  /** Milliseconds until the remaining count grows by one; with `remaining` 0, until one more unit fits. 0 at full capacity. */
  resetMs: number;
  /** 0 when allowed; otherwise milliseconds until this request's cost fits; null when it never can (cost > limit). */
  retryAfterMs: number | null;
}

export interface QuotaDecision {
  key: string;
  limit: number;
  period: QuotaPeriod;
  cost: number;
  allowed: boolean;
  /** Units used in the current period (after this request, if committed). */
  used: number;
  remaining: number;
  /** Milliseconds until the quota refills (the next period start); null for `total`. */
  resetMs: number | null;
  /** 0 when allowed; otherwise milliseconds until the refill; null when a refill cannot help. */
  retryAfterMs: number | null;
}

export type LimitCode = 'ALLOWED' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED';

export interface LimitResult {
  /** True only if every policy admitted the request; then, and only then, all of them were consumed. */
  allowed: boolean;
  /** QUOTA_EXCEEDED wins over RATE_LIMITED when both refuse: it is the longer-lasting condition. */
  code: LimitCode;
  /** Same order as the input. */
  rates: RateDecision[];
  quotas: QuotaDecision[];
  /** 0 when allowed; otherwise the longest wait among the refusing policies; null when waiting cannot help. */
  retryAfterMs: number | null;
}

/**
 * Units a node admitted on its own (while the shared limiter was unreachable), by the window or period they
 * were admitted in: added to the shared counters once they are back, so that traffic is not counted as unused.
 */
export type CountedUnits =
  | { kind: 'rate'; key: string; windowMs: number; windowStart: number; units: number }
  | { kind: 'quota'; key: string; period: QuotaPeriod; periodStart: number; units: number };

export interface RateLimiter {
  /**
   * Checks every policy and consumes all of them only if all admit the request. Time is `now` when given
   * (epoch ms), else the adapter's clock. Refusals are values; it throws only on bad input or a fault.
   */
  check(input: LimitCheck, now?: number): Promise<LimitResult>;
  /** What `check` would answer, consuming nothing (remaining credits for the admin API, the verify endpoint). */
  peek(input: LimitCheck, now?: number): Promise<LimitResult>;
  /**
   * Adds units admitted elsewhere to the counters, judging nothing: into the current or the previous window
   * of a rate (older ones no longer matter), into a quota's period unless a later one has begun. Time is
   * `now` when given, else the adapter's clock. Adapters that hold shared counters offer it.
   */
  add?(counted: readonly CountedUnits[], now?: number): Promise<void>;
  /** Stops timers and releases what the adapter itself opened. */
  close(): Promise<void>;
}
