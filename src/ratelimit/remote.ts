// A RateLimiter whose counters live in another process: a worker's view of the node-wide limiter its
// supervisor keeps (without Redis, so that N workers of one node share one exact limit, not N of them).
// Each check is answered by that process (a worker sends one event-loop turn's checks in one message); the port is asynchronous already.
import type { LimitCheck, LimitResult, RateLimiter } from './interface.js';

/** Sends one operation to the process that holds the counters and resolves with its answer. */
export type RemoteLimiterCall = (op: 'check' | 'peek', input: LimitCheck, now: number | undefined) => Promise<LimitResult>;

export function createRemoteRateLimiter(call: RemoteLimiterCall): RateLimiter {
  return {
    check: (input, now) => call('check', input, now),
    peek: (input, now) => call('peek', input, now),
    // The counters belong to the other process, which closes them.
    async close() {},
  };
}
