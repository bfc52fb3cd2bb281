// Throttling of failed client authentications (per client_id and per IP) at the token endpoint: a
// small port so the cluster-wide rate limiter can replace the in-memory one. Counters live in a
// bounded LRU and vanish with their window, so a flood of random client ids cannot grow memory.
import { LRUCache } from 'lru-cache';

export interface FailureLimiter {
  /** Whole seconds to wait before `key` may try again; 0 when it is not blocked. */
  retryAfter(key: string): number;
  recordFailure(key: string): void;
}

interface Window {
  count: number;
  resetAt: number;
}

export function createMemoryFailureLimiter(options: { limit: number; windowMs: number; now: () => number; maxKeys?: number }): FailureLimiter {
  const windows = new LRUCache<string, Window>({ max: options.maxKeys ?? 100_000, ttl: Math.max(1, options.windowMs), perf: { now: options.now }, ttlResolution: 0 });
  return {
    retryAfter(key) {
      const window = windows.get(key);
      if (!window || window.count < options.limit) return 0;
      return Math.max(1, Math.ceil((window.resetAt - options.now()) / 1000));
    },
    recordFailure(key) {
      const now = options.now();
      const window = windows.get(key);
      if (!window || window.resetAt <= now) {
        windows.set(key, { count: 1, resetAt: now + options.windowMs });
        return;
      }
      window.count++;
    },
  };
}
