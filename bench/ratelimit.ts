// Rate-limiter throughput: checks per second for the memory and Redis adapters, one policy and a gateway-like
// mix (consumer + key rates and a monthly quota). Bounded in time, stops by itself, Redis on 127.0.0.1 only.
// Run: npx tsc -p . && node dist/bench/ratelimit.js
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { LimitCheck, RateLimiter } from '../src/ratelimit/interface.js';
import { createMemoryRateLimiter } from '../src/ratelimit/memory.js';
import { createRateLimitRedis, createRedisRateLimiter } from '../src/ratelimit/redis.js';

export interface RateLimitBenchFigure {
  adapter: 'memory' | 'redis';
  scenario: string;
  checksPerSecond: number;
  /** Checks per second of this process' CPU time: steadier than wall time on a busy machine. */
  checksPerCpuSecond: number;
  allowedShare: number;
}

export interface RateLimitBenchOptions {
  durationMs?: number;
  /** Checks in flight at once against Redis (one connection, so they pipeline). */
  redisConcurrency?: number;
  redisPort?: number;
}

const KEYS = 10_000;

const SCENARIOS: Record<string, (i: number) => LimitCheck> = {
  'one rate policy': (i) => ({ rates: [{ key: `consumer:${i % KEYS}`, limit: 1_000_000, windowMs: 60_000 }] }),
  'consumer + key rates + monthly quota': (i) => ({
    rates: [
      { key: `consumer:${i % 100}`, limit: 1_000_000, windowMs: 60_000 },
      { key: `key:${i % KEYS}`, limit: 1_000_000, windowMs: 1_000 },
    ],
    quotas: [{ key: `key:${i % KEYS}`, limit: 1_000_000_000, period: 'month' }],
  }),
};

async function measure(limiter: RateLimiter, make: (i: number) => LimitCheck, durationMs: number, concurrency: number) {
  const deadline = performance.now() + durationMs;
  let checks = 0;
  let allowed = 0;
  async function worker(offset: number) {
    for (let i = offset; performance.now() < deadline; i += concurrency) {
      // Check the deadline every 64 checks only, so the timer read does not dominate the memory figure.
      for (let j = 0; j < 64; j += 1) {
        if ((await limiter.check(make(i * 64 + j))).allowed) allowed += 1;
        checks += 1;
      }
    }
  }
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, (_, offset) => worker(offset)));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    checksPerSecond: Math.round((checks * 1000) / elapsedMs),
    checksPerCpuSecond: Math.round((checks * 1000) / Math.max(cpuMs, 1)),
    allowedShare: checks === 0 ? 0 : allowed / checks,
  };
}

export async function runRateLimitBench(options: RateLimitBenchOptions = {}): Promise<{ figures: RateLimitBenchFigure[]; skipped: string[] }> {
  const durationMs = options.durationMs ?? 1_000;
  const figures: RateLimitBenchFigure[] = [];
  const skipped: string[] = [];

  for (const [scenario, make] of Object.entries(SCENARIOS)) {
    const memory = createMemoryRateLimiter();
    await measure(memory, make, Math.min(200, durationMs), 1); // warm-up
    figures.push({ adapter: 'memory', scenario, ...(await measure(memory, make, durationMs, 1)) });
    await memory.close();
  }

  const redis = createRateLimitRedis(`redis://127.0.0.1:${options.redisPort ?? 6379}`, { commandTimeoutMs: 2_000, connectTimeoutMs: 1_000 });
  const prefix = `portcullis-bench:rl:${randomUUID()}:`;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Redis on 127.0.0.1 not ready within 2 s')), 2_000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const limiter = createRedisRateLimiter({ redis, prefix });
    const concurrency = options.redisConcurrency ?? 64;
    for (const [scenario, make] of Object.entries(SCENARIOS)) {
      await measure(limiter, make, Math.min(200, durationMs), concurrency);
      figures.push({ adapter: 'redis', scenario, ...(await measure(limiter, make, durationMs, concurrency)) });
    }
  } catch (error) {
    skipped.push(`redis: ${(error as Error).message}`);
  } finally {
    if (redis.status === 'ready') {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    } else {
      redis.disconnect();
    }
  }
  return { figures, skipped };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { figures, skipped } = await runRateLimitBench();
  for (const figure of figures) {
    const perSecond = figure.checksPerSecond.toLocaleString('en-US').padStart(10);
    const perCpuSecond = figure.checksPerCpuSecond.toLocaleString('en-US').padStart(10);
    console.log(`${figure.adapter.padEnd(6)}  ${figure.scenario.padEnd(38)}  ${perSecond} checks/s  ${perCpuSecond} checks/CPU-s`);
  }
  for (const reason of skipped) console.log(`skipped ${reason}`);
}
