// Gateway throughput: an upstream, a bare node:http + undici proxy of it (the baseline) and
// Portcullis with API-key auth (cached key, access log on, metrics on), each in its own process,
// driven in turn by autocannon on 127.0.0.1 for a bounded time. Prints req/s, p50/p99 and the ratio.
//   npm run bench -- gateway            (or: node dist/bench/gateway.js [--duration 5] [--rounds 5]
//                                          [--connections 32] [--fastify] [--no-log] [--no-portal]
//                                          [--ratelimit] [--floor] [--rate N]
//                                          [--also <another build's dist/bench/gateway.js>])
// The baseline is the bare proxy as one writes it with undici's documented streaming API,
// `pool.stream()`. A second bare proxy runs in the same rounds on Portcullis' own forwarding code
// (src/gateway/forward.ts, undici's low-level `dispatch()`): the stricter reference, which shares
// every optimisation of that code, so its ratio shows what auth, logs, metrics and the header
// contract cost on their own.
// --floor adds a bare proxy on Portcullis' forwarding code that also sends the headers Portcullis
// adds upstream (the cost of the header contract alone). --rate N offers every target the same N
// req/s instead of as many as it can take: CPU µs per request is then the figure to compare,
// unaffected by how saturation batches.
// --ratelimit adds the same gateway with a per-consumer rate limit on the API, in memory and in Redis
// (BENCH_REDIS_URL, default redis://127.0.0.1:6379), for the "with / without a limit" ratio.
// --also adds that build's Portcullis as another target (repeatable): an A/B of builds in the same rounds.
// --fastify adds a variant with the same gateway handler behind a Fastify catch-all route, the
// measurement behind the choice of a raw node:http front for the public listener.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { pino } from 'pino';
import { Pool } from 'undici';
import { type App, createApp } from '../src/app.js';
import { threadPoolSize } from '../src/cli/thread-pool.cjs';
import { validateConfig } from '../src/config/load.js';
import { forward } from '../src/gateway/forward.js';
import { buildGateway } from '../src/gateway/start.js';
import { createLogger } from '../src/logger.js';
import { applyProcessWideSettings, startPortcullis } from '../src/server/start.js';
import { announced, option } from './lib/child.js';
import { cpuMs } from './lib/cpu.js';
import { median } from './lib/median.js';

const self = fileURLToPath(import.meta.url);
const BODY = JSON.stringify({ id: 'ord_123', status: 'shipped', items: [{ sku: 'A-1', quantity: 2 }], total: 4200 });

function announce(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

// ---- child processes -------------------------------------------------------------------------

async function upstream(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  announce({ port: await listen(server) });
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host']);

function upstreamHead(upstreamHeaders: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const name in upstreamHeaders) {
    const value = upstreamHeaders[name];
    if (HOP_BY_HOP.has(name) || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/**
 * What Portcullis adds to every upstream request (X-Forwarded-*, X-Request-Id, the six identity
 * headers), with fixed values: `--floor` adds a bare proxy that sends them, the cost of the header
 * contract alone, under which no gateway meeting PRODUCT.md can go.
 */
const FLOOR_HEADERS = [
  'x-forwarded-proto',
  'http',
  'x-forwarded-host',
  '127.0.0.1',
  'x-consumer-id',
  'con_01HF3ZK2QW7X9Y8V6T5S4R3P2N',
  'x-consumer-name',
  'bench',
  'x-credential-type',
  'api-key',
  'x-credential-id',
  'key_01HF3ZK2QW7X9Y8V6T5S4R3P2M',
  'x-scopes',
  'orders:read',
  'x-consumer-metadata',
  Buffer.from(JSON.stringify({ plan: 'pro', accountId: 'acct_42' })).toString('base64url'),
];
let floorCount = 0;
/** The floor, like Portcullis, never passes the caller's credential on. */
const FLOOR_DROPS = new Set([...HOP_BY_HOP, 'authorization']);

/**
 * A bare proxy as one would write it by hand with node:http and undici — hop-by-hop headers
 * removed, streaming both ways, no auth, logs or metrics. `stream` (the baseline of the goal) uses
 * undici's documented `pool.stream()`; `dispatch` uses Portcullis' own forwarding code, a
 * `dispatch()` handler (the stricter reference); `floor` is `dispatch` plus the headers Portcullis
 * adds upstream.
 */
async function baseline(target: string, technique: string): Promise<void> {
  const pool = new Pool(target, { keepAliveTimeout: 10_000, pipelining: 1 });
  const host = new URL(target).host;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers: string[] = [];
    const raw = req.rawHeaders;
    const drop = technique === 'floor' ? FLOOR_DROPS : HOP_BY_HOP;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (!drop.has(name)) headers.push(name, raw[i + 1]!);
    }
    headers.push('host', host);
    if (technique === 'floor') headers.push(...FLOOR_HEADERS, 'x-forwarded-for', req.socket.remoteAddress ?? '', 'x-request-id', `req_${++floorCount}`);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const fail = () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    };
    if (technique === 'stream') {
      // The callback form: the promise form wraps the same call in a promise a request.
      pool.stream(
        { path: req.url!, method: req.method as 'GET', headers, body: hasBody ? req : null },
        ({ statusCode, headers: upstreamHeaders }) => {
          res.writeHead(statusCode, upstreamHead(upstreamHeaders as Record<string, string | string[] | undefined>));
          return res;
        },
        (error) => error && fail(),
      );
      return;
    }
    forward(pool, { path: req.url!, method: req.method!, headers, body: hasBody ? req : null }, res, {
      responseHead: upstreamHead,
      forwarded: (error) => error && fail(),
    });
  });
  server.keepAliveTimeout = 60_000;
  announce({ port: await listen(server) });
}

async function portcullis(target: string, front: 'raw' | 'fastify' | 'plain', log: string, limits = 'none', portal = 'portal'): Promise<void> {
  const accessLog = log !== 'no-log';
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // With limits, the API carries a per-consumer rate limit far above what the run can reach, so
  // every request pays for a full check-and-commit without ever being refused.
  const rateLimit = limits === 'none' ? {} : { rateLimit: { limit: 1_000_000_000, window: '1m' } };
  const redis =
    limits === 'redis' ? { redis: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', redisKeyPrefix: `portcullis-bench:${process.pid}:` } : {};
  // bench/instructions.ts runs this under valgrind (BENCH_COUNTING=1), where 4,000 counted requests
  // take ~16 s, against ~0.3 s at full speed: work done on a timer (the store sync every second,
  // usage and last-used flushes, the key cache's 30-second refresh and V8 re-optimising the request
  // path after it) would be counted as per-request work, far beyond its share at real speed. There it
  // is put off past the run.
  const timers = process.env.BENCH_COUNTING
    ? { keys: { cache: { ttl: '1h' }, lastUsedFlushInterval: '1h' }, usage: { flushInterval: '1h' }, oauth: { syncInterval: '1h' } }
    : {};
  const config = validateConfig(
    {
      store: `sqlite:${join(dir, 'bench.db')}`,
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      gateway: { accessLog },
      // The developer portal is on by default, as `portcullis start` has it; `--no-portal` adds a target without it.
      ...(portal === 'no-portal' ? { portal: { enabled: false } } : {}),
      ...redis,
      ...timers,
      apis: [{ name: 'orders', basePath: '/orders', upstream: target, auth: ['api-key'], scopes: ['orders:read'], ...rateLimit }],
    },
    'bench',
  );
  // The access log is on, as by default, through the kind of destination `portcullis start` logs to
  // (createLogger: synchronous writes), pointed at /dev/null so the pipe to this script is not the
  // bottleneck. Before 2026-12-02 `portcullis start` logged asynchronously, which this did not measure.
  const logger = createLogger('info', pino.destination({ dest: process.env.BENCH_LOG_DEST ?? '/dev/null', sync: true }));
  async function keyOf(app: App): Promise<string> {
    const consumer = await app.consumers.create(
      { name: 'bench', scopes: ['orders:read'], metadata: { plan: 'pro', accountId: 'acct_42' } },
      { id: 'bench', sourceIp: null },
    );
    return (await app.keys.create(consumer.id, {}, { id: 'bench', sourceIp: null })).key;
  }
  if (front === 'raw') {
    // As `portcullis start` runs it: process metrics, the admin listener, the OAuth routes on the public listener.
    const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger, print: () => {} });
    announce({ port: Number(new URL(running.gatewayUrl).port), key: await keyOf(running.app) });
    return;
  }
  // As `portcullis start` sets its process up (the raw front above goes through it).
  applyProcessWideSettings();
  const app = await createApp({ config, logger });
  const key = await keyOf(app);
  const gateway = await buildGateway({ app, baseDir: dir });
  if (front === 'plain') {
    const server = createServer((req, res) => {
      if (!gateway.handler.handle(req, res)) res.writeHead(404).end();
    });
    announce({ port: await listen(server), key });
    return;
  }
  const fastify = Fastify();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
  fastify.all('/*', (request, reply) => {
    reply.hijack();
    gateway.handler.handle(request.raw, reply.raw);
  });
  await fastify.listen({ host: '127.0.0.1', port: 0 });
  announce({ port: (fastify.server.address() as AddressInfo).port, key });
}

// ---- the driver ------------------------------------------------------------------------------

interface Started {
  child: ChildProcess;
  info: { port: number; key?: string };
}

function start(mode: string, ...args: string[]): Promise<Started> {
  return startScript(self, mode, ...args);
}

/** `start` for another build's copy of this script (`--also`). */
function startScript(script: string, mode: string, ...args: string[]): Promise<Started> {
  const profile = process.env.BENCH_CPU_PROF && mode !== 'upstream' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const flags = process.env.BENCH_NODE_FLAGS && mode !== 'upstream' ? process.env.BENCH_NODE_FLAGS.split(' ') : [];
  // Portcullis runs with the thread pool the `portcullis` command sets up (no pool work on this path).
  const env =
    mode === 'portcullis' ? { ...process.env, UV_THREADPOOL_SIZE: threadPoolSize(availableParallelism(), process.env.UV_THREADPOOL_SIZE) } : process.env;
  const child = spawn(process.execPath, [...flags, ...profile, script, mode, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  return announced(child, mode);
}

interface Figure {
  requests: number;
  /** CPU time of the proxy process per request, microseconds (from /proc; robust to other load). */
  cpuPerRequest: number;
  /** The same for the upstream process: what the proxy's extra headers cost it. */
  upstreamCpuPerRequest: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** The stricter reference: a bare proxy on Portcullis' own forwarding code. */
const STRICT = "bare proxy on Portcullis' forwarding code (dispatch)";

let upstreamPid = 0;
/** With --rate, every target gets the same offered load (req/s) and CPU per request is the figure to compare. */
let offeredRate = 0;

async function drive(target: Started, headers: Record<string, string>, seconds: number, connections: number): Promise<Figure> {
  const cpuBefore = cpuMs(target.child.pid!);
  const upstreamBefore = cpuMs(upstreamPid);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.info.port}/orders/123`,
    headers,
    connections,
    duration: seconds,
    pipelining: 1,
    ...(offeredRate > 0 ? { overallRate: offeredRate } : {}),
  });
  const cpu = cpuMs(target.child.pid!) - cpuBefore;
  const upstreamCpu = cpuMs(upstreamPid) - upstreamBefore;
  return {
    requests: result.requests.average,
    cpuPerRequest: result.requests.total > 0 ? (cpu * 1000) / result.requests.total : 0,
    upstreamCpuPerRequest: result.requests.total > 0 ? (upstreamCpu * 1000) / result.requests.total : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** Requests of `target` over those of `baseline`, round by round. */
function roundRatios(baseline: readonly Figure[], target: readonly Figure[]): number[] {
  return target.map((figure, round) => figure.requests / baseline[round]!.requests);
}

async function main(): Promise<void> {
  const duration = option('duration', 5);
  const rounds = option('rounds', 5);
  const connections = option('connections', 32);
  offeredRate = option('rate', 0);
  const withFastify = process.argv.includes('--fastify');
  console.log(
    `gateway bench: ${cpus().length} cores, Node ${process.version}, ${rounds} interleaved round(s) of ${duration}s per target (medians), ${connections} connections, 127.0.0.1`,
  );

  const up = await start('upstream');
  upstreamPid = up.child.pid!;
  const target = `http://127.0.0.1:${up.info.port}`;
  const targets: Array<{ name: string; started: Started; headers: Record<string, string> }> = [];
  const gw = await start('portcullis', target, 'raw');
  // Every target gets the same request, the caller's API key included: the bare proxies pass it on
  // to the upstream as a hand-written proxy would; the floor drops it, as Portcullis does.
  const sameRequest = { authorization: `Bearer ${gw.info.key}` };
  const base = await start('baseline', target, 'stream');
  targets.push({ name: 'bare node:http + undici proxy (pool.stream)', started: base, headers: sameRequest });
  const strict = await start('baseline', target, 'dispatch');
  targets.push({ name: STRICT, started: strict, headers: sameRequest });
  if (process.argv.includes('--floor')) {
    const floor = await start('baseline', target, 'floor');
    targets.push({ name: 'floor: bare proxy + the headers Portcullis sends upstream', started: floor, headers: sameRequest });
  }
  targets.push({ name: 'Portcullis, API-key auth', started: gw, headers: sameRequest });
  for (const [i, arg] of process.argv.entries()) {
    if (arg !== '--also') continue;
    const script = process.argv[i + 1]!;
    const other = await startScript(script, 'portcullis', target, 'raw');
    targets.push({ name: `Portcullis, API-key auth (${script})`, started: other, headers: { authorization: `Bearer ${other.info.key}` } });
  }
  if (process.argv.includes('--plain')) {
    const plain = await start('portcullis', target, 'plain', 'no-log');
    targets.push({
      name: 'Portcullis handler on a plain node:http server, access log off',
      started: plain,
      headers: { authorization: `Bearer ${plain.info.key}` },
    });
  }
  if (process.argv.includes('--no-portal')) {
    const bare = await start('portcullis', target, 'raw', 'log', 'none', 'no-portal');
    targets.push({ name: 'Portcullis, API-key auth, portal off', started: bare, headers: { authorization: `Bearer ${bare.info.key}` } });
  }
  if (process.argv.includes('--no-log')) {
    const quiet = await start('portcullis', target, 'raw', 'no-log');
    targets.push({ name: 'Portcullis, API-key auth, access log off', started: quiet, headers: { authorization: `Bearer ${quiet.info.key}` } });
  }
  if (process.argv.includes('--ratelimit')) {
    const memory = await start('portcullis', target, 'raw', 'log', 'memory');
    targets.push({ name: 'Portcullis, API-key auth + rate limit (memory)', started: memory, headers: { authorization: `Bearer ${memory.info.key}` } });
    const redis = await start('portcullis', target, 'raw', 'log', 'redis');
    targets.push({ name: 'Portcullis, API-key auth + rate limit (Redis)', started: redis, headers: { authorization: `Bearer ${redis.info.key}` } });
  }
  if (withFastify) {
    const fastifyFront = await start('portcullis', target, 'fastify');
    targets.push({ name: 'Portcullis handler behind a Fastify route', started: fastifyFront, headers: { authorization: `Bearer ${fastifyFront.info.key}` } });
  }

  const figures = new Map<string, Figure[]>();
  try {
    for (const t of targets) await drive(t.started, t.headers, 2, connections); // warm-up: JIT, pools, cache
    for (let round = 0; round < rounds; round++) {
      // Each round starts with the next target: the one run last in a round tended to come out
      // ahead, and rotating gives every target every position equally often.
      for (const t of [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)]) {
        const figure = await drive(t.started, t.headers, duration, connections);
        if (figure.non2xx > 0 || figure.errors > 0) throw new Error(`${t.name}: ${figure.non2xx} non-2xx, ${figure.errors} errors`);
        figures.set(t.name, [...(figures.get(t.name) ?? []), figure]);
      }
    }
  } finally {
    for (const t of [...targets.map((x) => x.started), up]) t.child.kill();
  }

  const medianOf = (name: string, field: keyof Figure) => median(figures.get(name)!.map((f) => f[field]));
  const baselineRate = medianOf(targets[0]!.name, 'requests');
  console.log('\n| target | req/s | p50 ms | p99 ms | CPU µs/req (proxy process) | upstream CPU µs/req | ratio to baseline |');
  console.log('|---|---|---|---|---|---|---|');
  for (const t of targets) {
    const rate = medianOf(t.name, 'requests');
    console.log(
      `| ${t.name} | ${Math.round(rate).toLocaleString('en-US')} | ${medianOf(t.name, 'p50').toFixed(1)} | ${medianOf(t.name, 'p99').toFixed(1)} | ` +
        `${medianOf(t.name, 'cpuPerRequest').toFixed(0)} | ${medianOf(t.name, 'upstreamCpuPerRequest').toFixed(0)} | ${(rate / baselineRate).toFixed(3)} |`,
    );
  }
  const gateway = targets.find((t) => t.name === 'Portcullis, API-key auth')!;
  const ratio = medianOf(gateway.name, 'requests') / baselineRate;
  console.log(`\nPortcullis / bare proxy: ${ratio.toFixed(3)} (goal ≥ 0.85)`);
  const strictRatio = medianOf(gateway.name, 'requests') / medianOf(STRICT, 'requests');
  const strictPerRound = median(roundRatios(figures.get(STRICT)!, figures.get(gateway.name)!));
  console.log(`Portcullis / bare proxy on Portcullis' forwarding code: ${strictRatio.toFixed(3)}, per round ${strictPerRound.toFixed(3)}`);
  // The same ratio taken within each round, where the two ran seconds apart: the machine's speed
  // drifts between rounds more than within one, and a median of per-target medians can pair a fast
  // round of one target with a slow round of the other.
  for (const t of targets.slice(1)) {
    const perRound = roundRatios(figures.get(targets[0]!.name)!, figures.get(t.name)!);
    const range = `range ${Math.min(...perRound).toFixed(3)}–${Math.max(...perRound).toFixed(3)}`;
    const goal = t === gateway ? `, ${perRound.filter((r) => r >= 0.85).length} of ${perRound.length} rounds ≥ 0.85` : '';
    console.log(`per round, ${t.name}: median ${median(perRound).toFixed(3)}${goal}, ${range}`);
  }
  const limited = targets.find((t) => t.name.endsWith('rate limit (memory)'));
  if (limited) {
    const withLimit = medianOf(limited.name, 'requests') / medianOf(gateway.name, 'requests');
    const redisTarget = targets.find((t) => t.name.endsWith('rate limit (Redis)'))!;
    const withRedis = medianOf(redisTarget.name, 'requests') / medianOf(gateway.name, 'requests');
    console.log(`with a memory rate limit / without: ${withLimit.toFixed(3)} (goal ≥ 0.9); with a Redis rate limit / without: ${withRedis.toFixed(3)}`);
  }
}

const [mode, ...args] = process.argv.slice(2);
// Children exit normally on SIGTERM so `--cpu-prof` (BENCH_CPU_PROF=1) writes its profile.
if (mode) process.once('SIGTERM', () => process.exit(0));
if (mode === 'upstream') await upstream();
else if (mode === 'baseline') await baseline(args[0]!, args[1] ?? 'dispatch');
else if (mode === 'portcullis')
  await portcullis(args[0]!, (args[1] as 'raw' | 'fastify' | 'plain') ?? 'raw', args[2] ?? 'log', args[3] ?? 'none', args[4] ?? 'portal');
else await main();
