// Builds the request limiter from config: in memory on one node, Redis-backed (falling back to
// memory, counted and logged once per outage) when `redis` is set. Also the stricter limiter used
// for brute-force counters, which never falls back to "no limit".
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { createFallbackRateLimiter, type FallbackRateLimiter } from '../ratelimit/fallback.js';
import type { RateLimiter } from '../ratelimit/interface.js';
import { createMemoryRateLimiter } from '../ratelimit/memory.js';
import { createRateLimitRedis, createRedisRateLimiter } from '../ratelimit/redis.js';

export interface Limiters {
  /** Rate limits and quotas of API traffic: fails soft to per-node limits. */
  requests: RateLimiter;
  /** Failed-authentication counters: fails to strict local limits. */
  bruteForce: RateLimiter;
  /** Set when Redis backs the limiters. */
  fallback?: FallbackRateLimiter;
  close(): Promise<void>;
}

export interface LimiterOptions {
  redisUrl: string | undefined;
  /** Key prefix in Redis; tests use one per run. */
  redisPrefix?: string;
  clock: Clock;
  log: Logger;
  /** Called on every check answered locally while Redis is down (a metric counts these). */
  onFallbackCheck?: () => void;
  /** During an outage brute-force limits are divided by at least this (roughly the node count). */
  strictDivisor?: number;
  /** Live nodes (the change channel's heartbeat count): during an outage every limit is divided by it. */
  liveNodes?: () => number;
  /** Given the Redis client once it is created (the node's Redis status follows its connection). */
  followRedis?: (client: Redis) => void;
  /** Without Redis: limiters kept elsewhere (a worker's supervisor, node-wide) instead of this process' memory. */
  local?: { requests: RateLimiter; bruteForce: RateLimiter };
}

export function createLimiters({
  redisUrl,
  redisPrefix,
  clock,
  log,
  onFallbackCheck,
  strictDivisor = 4,
  liveNodes,
  followRedis,
  local,
}: LimiterOptions): Limiters {
  if (!redisUrl && local) return { ...local, async close() {} };
  if (!redisUrl) {
    const requests = createMemoryRateLimiter({ clock });
    const bruteForce = createMemoryRateLimiter({ clock });
    return {
      requests,
      bruteForce,
      async close() {
        await requests.close();
        await bruteForce.close();
      },
    };
  }

  let loggedConnectionError = false;
  const redis: Redis = createRateLimitRedis(redisUrl, {
    onError: () => {
      // ioredis reports every reconnect attempt; the outage itself is logged once, below.
      if (!loggedConnectionError) log.debug('redis connection error (rate limiting)');
      loggedConnectionError = true;
    },
  });
  followRedis?.(redis);
  const shared = createRedisRateLimiter({ redis, clock, ...(redisPrefix ? { prefix: redisPrefix } : {}) });
  const wrap = (strict: boolean) =>
    createFallbackRateLimiter({
      primary: shared,
      clock,
      ...(liveNodes ? { liveNodes } : {}),
      carryOver: true,
      ...(strict ? { strict: { divisor: strictDivisor } } : {}),
      onFallback: ({ error }) => {
        const nodes = liveNodes?.() ?? 1;
        log.warn(
          { err: { message: (error as Error)?.message }, nodes },
          `redis unreachable: ${strict ? 'strict ' : ''}per-node limits (divided by the ${nodes} live node(s)) apply until it is back`,
        );
      },
      onRecover: ({ downtimeMs, fallbacks }) => {
        loggedConnectionError = false;
        log.info({ downtimeMs, fallbacks }, 'redis is back: shared limits apply again, with what this node admitted meanwhile added to them');
      },
    });
  const requests = wrap(false);
  const bruteForce = wrap(true);
  const counting: RateLimiter = onFallbackCheck
    ? {
        async check(input, now) {
          const before = requests.stats.fallbacks;
          const result = await requests.check(input, now);
          if (requests.stats.fallbacks !== before) onFallbackCheck();
          return result;
        },
        peek: (input, now) => requests.peek(input, now),
        close: () => requests.close(),
      }
    : requests;
  return {
    requests: counting,
    bruteForce,
    fallback: requests,
    async close() {
      await requests.close();
      await bruteForce.close();
      await shared.close();
      redis.disconnect();
    },
  };
}
