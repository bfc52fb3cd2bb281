// How long a change made on one node takes to reach another: node A (this process) and node B (a
// child process) share a SQLite file and Redis. For each of N keys, B verifies the key (so it is in
// B's cache, whose TTL is 1 h here), A revokes it, and B checks the key in a tight loop until it is
// refused. Latency runs from just before A's revoke call (store write included) to B's refusal.
// Goal (PRODUCT.md): every node within 100 ms, p99. Needs Redis (BENCH_REDIS_URL, default
// redis://127.0.0.1:6379); without it the bench says so and exits cleanly.
//   npm run bench -- propagation     (or: node dist/bench/propagation.js [--count 200])
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { type App, createApp } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const countArg = process.argv.indexOf('--count');
const COUNT = countArg > 0 ? Number(process.argv[countArg + 1]) : 200;
const actor = { id: 'bench', sourceIp: null };

const epochMs = () => performance.timeOrigin + performance.now();

function node(dbPath: string, prefix: string): Promise<App> {
  return createApp({
    config: validateConfig(
      { store: `sqlite:${dbPath}`, redis: REDIS_URL, redisKeyPrefix: prefix, keys: { cache: { ttl: '1h' } }, log: { level: 'silent' } },
      'bench',
    ),
    logger: createLogger('silent'),
  });
}

type Message = { key: string } | { cached: true } | { refusedAt: number } | { ready: true };

/** Node B: caches each key it is sent, then spins until the key is refused and reports when. */
async function nodeB(dbPath: string, prefix: string): Promise<void> {
  const app = await node(dbPath, prefix);
  process.on('message', async (message: Message) => {
    if (!('key' in message)) return;
    const first = await app.verifyKey(message.key);
    if (first.code !== 'VALID') throw new Error(`B: expected VALID, got ${first.code}`);
    process.send!({ cached: true } satisfies Message);
    for (;;) {
      const result = await app.verifyKey(message.key);
      if (result.code === 'REVOKED') break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.send!({ refusedAt: epochMs() } satisfies Message);
  });
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
  process.send!({ ready: true } satisfies Message);
}

function next(child: ChildProcess): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node B did not answer within 10 s')), 10_000);
    child.once('message', (message: Message) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.quit();
  } catch {
    probe.disconnect();
    console.log(`propagation bench skipped: no Redis at ${REDIS_URL} (set BENCH_REDIS_URL)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const dbPath = join(dir, 'bench.db');
  const prefix = `portcullis-bench:${process.pid}:`;
  const a = await node(dbPath, prefix);
  const child = fork(fileURLToPath(import.meta.url), ['node-b', dbPath, prefix], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    if (!('ready' in (await next(child)))) throw new Error('node B did not start');
    const consumer = await a.consumers.create({ name: 'bench', scopes: ['read'] }, actor);
    // Let B's subscription settle before the first measured change.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const latencies: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const { key, record } = await a.keys.create(consumer.id, {}, actor);
      child.send({ key } satisfies Message);
      if (!('cached' in (await next(child)))) throw new Error('B did not cache the key');
      const startedAt = epochMs();
      const refused = next(child);
      await a.keys.revoke(record.id, actor);
      const message = await refused;
      if (!('refusedAt' in message)) throw new Error('B did not report');
      latencies.push(message.refusedAt - startedAt);
    }
    latencies.sort((x, y) => x - y);
    const fmt = (ms: number) => ms.toFixed(2);
    console.log(`change propagation between two nodes (SQLite + Redis), ${COUNT} key revocations, node ${process.version}`);
    console.log('| changes | p50 ms | p90 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|');
    console.log(
      `| ${COUNT} | ${fmt(percentile(latencies, 50))} | ${fmt(percentile(latencies, 90))} | ${fmt(percentile(latencies, 99))} | ${fmt(latencies.at(-1)!)} |`,
    );
    console.log(`p99 ${fmt(percentile(latencies, 99))} ms (goal ≤ 100 ms)`);
    console.log(
      `BENCH_JSON ${JSON.stringify({ bench: 'propagation', results: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) } })}`,
    );
  } finally {
    child.disconnect();
    await new Promise((resolve) => child.once('exit', resolve));
    await a.close();
    const redis = new Redis(REDIS_URL);
    const stale = await redis.keys(`${prefix}*`);
    if (stale.length > 0) await redis.del(...stale);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'node-b') await nodeB(process.argv[3]!, process.argv[4]!);
else await main();
