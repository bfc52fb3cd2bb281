// Cluster-wide RateLimiter on Redis: one atomic Lua script per check (EVALSHA, EVAL when the script cache
// lost it), keys under a prefix, TTLs on every counter. Time comes from the injected clock, not Redis TIME.
import { createHash } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { type Clock, systemClock } from '../lib/clock.js';
import { loadIoredis } from '../lib/optional-client.js';
import { summarize } from './evaluate.js';
import type { CountedUnits, LimitCheck, LimitResult, QuotaDecision, RateDecision, RateLimiter } from './interface.js';
import { checkTime, type NormalizedCheck, normalizeCheck, quotaStorageKey, rateStorageKey } from './normalize.js';
import { periodEnd, periodStart } from './period.js';
import { ADD_SCRIPT, RATE_LIMIT_SCRIPT } from './redis-script.js';

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** Namespace for every key this limiter writes. Default `portcullis:rl:`. */
  prefix?: string;
  clock?: Clock;
  /**
   * Added to every TTL. Counters carry their window or period start, so a late expiry never changes an answer,
   * while an early one (a node whose clock runs behind) would forget counts. Default 60 000 ms.
   */
  ttlGraceMs?: number;
  /** Quit the client on close(); leave false when the client is shared. Default false. */
  ownsClient?: boolean;
}

export interface RateLimitRedisOptions {
  /** A command that takes longer fails, and the fallback limiter takes over. Default 250 ms. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Upper bound of the reconnect back-off. Default 2 s. */
  maxReconnectDelayMs?: number;
  /** Connection errors; ioredis would print them to stderr without a listener. */
  onError?: (error: Error) => void;
}

const SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');
const ADD_SCRIPT_SHA = createHash('sha1').update(ADD_SCRIPT).digest('hex');
/** Counters per add() script call: a long outage may leave many, and one script call blocks Redis while it runs. */
const ADD_BATCH = 256;

/**
 * An ioredis client that fails fast instead of queueing: with no offline queue and no retries, a check during
 * an outage rejects at once, and the fallback limiter answers instead of the request waiting on Redis.
 */
export function createRateLimitRedis(url: string, options: RateLimitRedisOptions = {}): Redis {
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2_000;
  const redisOptions: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    // Keep reconnecting for ever: the limiter must come back by itself when Redis does.
    retryStrategy: (attempt) => Math.min(attempt * 50, maxReconnectDelayMs),
  };
  const { Redis } = loadIoredis();
  const client = new Redis(url, redisOptions);
  client.on('error', (error: Error) => options.onError?.(error));
  return client;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function nullable(value: number): number | null {
  return value === -1 ? null : value;
}

/** Reads one pass of the script's reply, starting at `offset`. */
function readPass(check: NormalizedCheck, reply: number[], offset: number) {
  let at = offset;
  const next = () => reply[at++] ?? 0;
  const rates = check.rates.map(
    (policy): RateDecision => ({
      key: policy.key,
      limit: policy.limit,
      windowMs: policy.windowMs,
      cost: policy.cost,
      allowed: next() === 1,
      remaining: next(),
      resetMs: next(),
      retryAfterMs: nullable(next()),
    }),
  );
  const quotas = check.quotas.map(
    (policy): QuotaDecision => ({
      key: policy.key,
      limit: policy.limit,
      period: policy.period,
      cost: policy.cost,
      allowed: next() === 1,
      used: next(),
      remaining: next(),
      resetMs: nullable(next()),
      retryAfterMs: nullable(next()),
    }),
  );
  return { rates, quotas, end: at };
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis } = options;
  const prefix = options.prefix ?? 'portcullis:rl:';
  const clock = options.clock ?? systemClock;
  const ttlGraceMs = options.ttlGraceMs ?? 60_000;
  if (!Number.isSafeInteger(ttlGraceMs) || ttlGraceMs < 0) throw new RangeError('ttlGraceMs must be an integer ≥ 0');

  async function evaluate(keys: string[], args: (string | number)[], script = RATE_LIMIT_SCRIPT, sha = SCRIPT_SHA): Promise<number[]> {
    try {
      return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      if (!isNoScript(error)) throw error;
      // EVAL also puts the script back into the cache for the next EVALSHA.
      return (await redis.eval(script, keys.length, ...keys, ...args)) as number[];
    }
  }

  async function add(counted: readonly CountedUnits[], now: number | undefined): Promise<void> {
    const at = checkTime(now ?? clock.now());
    for (let first = 0; first < counted.length; first += ADD_BATCH) {
      const keys: string[] = [];
      const args: (string | number)[] = [at, ttlGraceMs];
      for (const item of counted.slice(first, first + ADD_BATCH)) {
        if (item.kind === 'rate') {
          keys.push(prefix + rateStorageKey(item.windowMs, item.key));
          args.push('r', item.windowMs, item.windowStart, item.units);
        } else {
          keys.push(prefix + quotaStorageKey(item.period, item.key));
          args.push('q', item.periodStart, periodEnd(item.periodStart, item.period) ?? -1, item.units);
        }
      }
      await evaluate(keys, args, ADD_SCRIPT, ADD_SCRIPT_SHA);
    }
  }

  async function run(input: LimitCheck, now: number | undefined, commit: boolean): Promise<LimitResult> {
    const check = normalizeCheck(input);
    const at = checkTime(now ?? clock.now());
    const keys: string[] = [];
    const args: (string | number)[] = [at, commit ? 1 : 0, check.rates.length, ttlGraceMs];
    for (const policy of check.rates) {
      keys.push(prefix + policy.storageKey);
      args.push(policy.limit, policy.windowMs, policy.cost);
    }
    for (const policy of check.quotas) {
      keys.push(prefix + policy.storageKey);
      args.push(policy.limit, periodStart(at, policy.period), periodEnd(at, policy.period) ?? -1, policy.cost);
    }
    if (keys.length === 0) return { allowed: true, code: 'ALLOWED', rates: [], quotas: [], retryAfterMs: 0 };

    const reply = await evaluate(keys, args);
    const allowed = reply[0] === 1;
    const charged = readPass(check, reply, 1);
    const { code, retryAfterMs } = summarize(charged);
    if (allowed && commit) return { allowed, code, rates: charged.rates, quotas: charged.quotas, retryAfterMs };
    const report = readPass(check, reply, charged.end);
    return { allowed, code, rates: report.rates, quotas: report.quotas, retryAfterMs };
  }

  return {
    check: (input, now) => run(input, now, true),
    peek: (input, now) => run(input, now, false),
    add,
    async close() {
      if (options.ownsClient && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
    },
  };
}
