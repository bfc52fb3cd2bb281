// Per-node RateLimiter in process memory: exact semantics on the injected clock, bounded by a cap on counters
// (approximately LRU) and a pruning timer (unref'ed, stopped by close) that drops counters of quiet keys.
import { type Clock, systemClock } from '../lib/clock.js';
import { evaluateCheck, type QuotaState, type StateReader } from './evaluate.js';
import type { CountedUnits, LimitCheck, LimitResult, RateLimiter } from './interface.js';
import { checkTime, normalizeCheck, quotaStorageKey, rateStorageKey } from './normalize.js';
import { periodEnd } from './period.js';
import { rollWindow, type WindowState } from './sliding-window.js';

export interface MemoryRateLimiterOptions {
  clock?: Clock;
  /** Most counters kept; one not used for the longest goes first (approximately LRU). Default 100 000. */
  maxEntries?: number;
  /** How often expired counters are dropped; 0 turns the timer off (call `prune()` yourself). Default 10 s. */
  pruneIntervalMs?: number;
}

export interface MemoryRateLimiter extends RateLimiter {
  /** Counters held now. */
  readonly size: number;
  /** Drops expired counters; returns how many. */
  prune(): number;
}

interface Entry {
  state: WindowState | QuotaState;
  expiresAt: number;
  /** Used since eviction last looked at it: the second chance of the CLOCK algorithm. */
  referenced: boolean;
}

export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  const clock = options.clock ?? systemClock;
  const maxEntries = options.maxEntries ?? 100_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 10_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  if (!Number.isSafeInteger(pruneIntervalMs) || pruneIntervalMs < 0) throw new RangeError('pruneIntervalMs must be an integer ≥ 0');

  // Approximate LRU (CLOCK): entries are updated in place and only moved when eviction passes them, because
  // deleting and re-inserting Map keys on every check costs more than the whole rate-limit decision.
  const entries = new Map<string, Entry>();

  // Reading never deletes: a peek at a later `now` must not wipe state an earlier `now` still needs.
  function live(storageKey: string, now: number): Entry | undefined {
    const entry = entries.get(storageKey);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }

  function evictOverflow(now: number): void {
    while (entries.size > maxEntries) {
      const [oldestKey, oldest] = entries.entries().next().value as [string, Entry];
      entries.delete(oldestKey);
      if (oldest.referenced && oldest.expiresAt > now) {
        oldest.referenced = false;
        entries.set(oldestKey, oldest);
      }
    }
  }

  function store(storageKey: string, state: WindowState | QuotaState, expiresAt: number, now: number): void {
    const entry = entries.get(storageKey);
    if (entry) {
      entry.state = state;
      entry.expiresAt = expiresAt;
      entry.referenced = true;
      return;
    }
    entries.set(storageKey, { state, expiresAt, referenced: false });
    evictOverflow(now);
  }

  function markUsed(storageKey: string): void {
    const entry = entries.get(storageKey);
    if (entry) entry.referenced = true;
  }

  function run(input: LimitCheck, now: number | undefined, commit: boolean): LimitResult {
    const check = normalizeCheck(input);
    const at = checkTime(now ?? clock.now());
    const reader: StateReader = {
      rate: (key) => live(key, at)?.state as WindowState | undefined,
      quota: (key) => live(key, at)?.state as QuotaState | undefined,
    };
    const { result, writes } = evaluateCheck(check, at, reader, commit);
    if (commit) {
      for (const write of writes) store(write.storageKey, write.state, write.expiresAt, at);
      // A refused check writes nothing, yet its counters are the busiest: keep them from being evicted first.
      if (writes.length === 0) {
        for (const { storageKey } of check.rates) markUsed(storageKey);
        for (const { storageKey } of check.quotas) markUsed(storageKey);
      }
    }
    return result;
  }

  function add(counted: readonly CountedUnits[], now: number | undefined): void {
    const at = checkTime(now ?? clock.now());
    for (const item of counted) {
      if (item.kind === 'rate') {
        const storageKey = rateStorageKey(item.windowMs, item.key);
        const state = rollWindow(live(storageKey, at)?.state as WindowState | undefined, at, item.windowMs);
        if (item.windowStart === state.windowStart) state.current += item.units;
        else if (item.windowStart === state.windowStart - item.windowMs) state.previous += item.units;
        else continue;
        store(storageKey, state, state.windowStart + 2 * item.windowMs, at);
        continue;
      }
      const storageKey = quotaStorageKey(item.period, item.key);
      const end = periodEnd(item.periodStart, item.period);
      if (end !== null && end <= at) continue;
      const stored = live(storageKey, at)?.state as QuotaState | undefined;
      if (stored && stored.periodStart > item.periodStart) continue;
      const used = stored?.periodStart === item.periodStart ? stored.used + item.units : item.units;
      store(storageKey, { periodStart: item.periodStart, used }, end ?? Infinity, at);
    }
  }

  function prune(): number {
    const now = clock.now();
    let dropped = 0;
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) {
        entries.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  let timer: NodeJS.Timeout | undefined;
  if (pruneIntervalMs > 0) {
    timer = setInterval(prune, pruneIntervalMs);
    timer.unref();
  }

  return {
    get size() {
      return entries.size;
    },
    prune,
    async check(input, now) {
      return run(input, now, true);
    },
    async peek(input, now) {
      return run(input, now, false);
    },
    async add(counted, now) {
      add(counted, now);
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
