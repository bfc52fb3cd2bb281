// Attempts at sign-in (and at asking for a reset email) counted per account and per client address
// on the brute-force limiter (memory, or Redis shared by every node; strict local limits while Redis
// is down). Failures count; a success does not reset them, so it cannot hide a guessing run.
import type { RateLimiter } from '../ratelimit/interface.js';
import { secretHash } from './secrets.js';

const WINDOW_MS = 15 * 60_000;

export interface ThrottleLimits {
  /** Attempts per account (email, in any case) per 15 minutes. */
  perAccount: number;
  /** Attempts per client address per 15 minutes. */
  perAddress: number;
}

export const RESET_LIMITS: ThrottleLimits = { perAccount: 3, perAddress: 30 };

export interface Throttle {
  /** Whether another attempt is allowed now; `retryAfterMs` is set when it is not. */
  allows(email: string, address: string): Promise<{ allowed: boolean; retryAfterMs: number }>;
  /** Counts a failed attempt (a wrong password) or, for resets, every request. */
  count(email: string, address: string): Promise<void>;
}

export function createThrottle(limiter: RateLimiter, action: string, limits: ThrottleLimits): Throttle {
  // The account's key names a hash of the address, not the address (Redis keys are not secret stores).
  const policies = (email: string, address: string) => {
    const account = secretHash(email.trim().toLowerCase()).slice(0, 32);
    return {
      rates: [
        { key: `portal:${action}:account:${account}`, limit: limits.perAccount, windowMs: WINDOW_MS },
        { key: `portal:${action}:ip:${address}`, limit: limits.perAddress, windowMs: WINDOW_MS },
      ],
    };
  };
  return {
    async allows(email, address) {
      const result = await limiter.peek(policies(email, address));
      return { allowed: result.allowed, retryAfterMs: result.allowed ? 0 : (result.retryAfterMs ?? WINDOW_MS) };
    },
    async count(email, address) {
      await limiter.check(policies(email, address));
    },
  };
}
