// Throttling of failed client authentications (per client_id and per IP) at the OAuth endpoints, on
// the shared rate limiter: counters are cluster-wide with Redis, and when Redis is down the brute-force
// limiter falls back to stricter per-node limits, never to none (src/limits/limiter.ts).
import type { RateLimiter } from '../ratelimit/interface.js';

export interface FailureLimiter {
  /** Whole seconds to wait before `key` may try again; 0 when it is not blocked. */
  retryAfter(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
}

export function createFailureLimiter(limiter: RateLimiter, options: { limit: number; windowMs: number; now: () => number }): FailureLimiter {
  const policy = (key: string) => ({ rates: [{ key: `authfail:${key}`, limit: options.limit, windowMs: options.windowMs }] });
  return {
    async retryAfter(key) {
      const result = await limiter.peek(policy(key), options.now());
      if (result.allowed) return 0;
      return Math.max(1, Math.ceil((result.retryAfterMs ?? options.windowMs) / 1000));
    },
    async recordFailure(key) {
      await limiter.check(policy(key), options.now());
    },
  };
}
