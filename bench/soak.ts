// Soak: Portcullis as `portcullis start` runs it (SQLite store, access log on, both listeners) under
// mixed traffic for a bounded time on 127.0.0.1 — gateway requests with an API key and with a JWT from
// /oauth/token, token requests, and admin writes that grow the store (consumers, keys, updates) — with
// a sample every 10 s of throughput, gateway p50/p99, errors, RSS, heap, open fds and the store's size.
// Writes the report between the soak markers of docs/reliability.md (and prints it).
//   npm run soak                              (or: node dist/bench/soak.js [--duration 300] [--connections 16]
//                                               [--token-rate 50] [--admin-rate 300] [--gateway-rate 0] [--no-report])
// --gateway-rate N offers N req/s of each kind of gateway traffic instead of as many as it takes: with every
// rate fixed, the CPU column shows whether the same work costs more as the run goes on, whatever else runs.
// SOAK_CPU_PROF=<dir> makes Portcullis write a --cpu-prof profile there when the run ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { type EventLoopUtilization, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { threadPoolSize } from '../src/cli/thread-pool.cjs';
import { validateConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { generateMasterKey } from '../src/oauth/master-key.js';
import { startPortcullis } from '../src/server/start.js';
import { announced, option } from './lib/child.js';
import { cpuMs } from './lib/cpu.js';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const AUDIENCE = 'https://api.example.com';
const SAMPLE_MS = 10_000;
const actor = { id: 'soak', sourceIp: null };

interface ProcessSample {
  rss: number;
  heapUsed: number;
  fds: number;
  /** Share of the interval the event loop was busy (0–1). */
  loopBusy: number;
  /** The longest the event loop was late to run a timer during the interval, ms: a stall every request waits behind. */
  loopDelayMaxMs: number;
  /** Time in GC pauses and in SQLite calls (better-sqlite3 is synchronous: on the event loop) during the interval, ms. */
  gcMs: number;
  sqlMs: number;
  /** SQLite time by statement (verb and first table) during the interval: [label, ms, calls]. */
  sql: Array<[string, number, number]>;
}

/** What the Portcullis process measures of itself between two samples. */
function selfMeasurement(): (reset: boolean) => ProcessSample {
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  const sql = new Map<string, { ns: bigint; calls: number }>();
  const record = (label: string, started: bigint) => {
    const entry = sql.get(label) ?? { ns: 0n, calls: 0 };
    entry.ns += process.hrtime.bigint() - started;
    entry.calls += 1;
    sql.set(label, entry);
  };
  // Wraps better-sqlite3's statement methods (the store's only way to SQLite) with a timer.
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const probe = new Database(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = statement[method]!;
    statement[method] = function timed(this: { source: string }, ...args: unknown[]) {
      const started = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        record(labelOf(this.source), started);
      }
    };
  }
  const database = Database.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const prepare = database.prepare!;
  database.prepare = function timedPrepare(this: unknown, ...args: unknown[]) {
    const started = process.hrtime.bigint();
    try {
      return prepare.apply(this, args);
    } finally {
      record('(prepare)', started);
    }
  };
  let loop: EventLoopUtilization = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return (reset) => {
    const memory = process.memoryUsage();
    let fds = 0;
    try {
      fds = readdirSync('/proc/self/fd').length;
    } catch {
      // Not Linux: no fd count.
    }
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, loop).utilization;
    const byStatement: Array<[string, number, number]> = [...sql].map(([label, { ns, calls }]) => [label, Number(ns) / 1e6, calls]);
    const sample = {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      fds,
      loopBusy: busy,
      loopDelayMaxMs: delay.max / 1e6,
      gcMs,
      sqlMs: byStatement.reduce((sum, [, ms]) => sum + ms, 0),
      sql: byStatement,
    };
    if (reset) {
      delay.reset();
      loop = now;
      gcMs = 0;
      sql.clear();
    }
    return sample;
  };
}

/** `insert audit_events`, `select api_keys`: the verb and the first table of a statement. */
function labelOf(source: string): string {
  const verb = /^\s*(\w+)/.exec(source)?.[1]?.toLowerCase() ?? '?';
  const table = /\b(?:into|from|update)\s+"?(\w+)"?/i.exec(source)?.[1] ?? '?';
  return `${verb} ${table}`;
}

// ---- the Portcullis process ------------------------------------------------------------------

async function target(upstream: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-soak-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const database = join(dir, 'soak.db');
  const measure = selfMeasurement();
  const config = validateConfig(
    {
      store: `sqlite:${database}`,
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      issuer: 'http://127.0.0.1',
      oauth: { masterKey: generateMasterKey() },
      apis: [{ name: 'orders', basePath: '/orders', upstream, auth: ['api-key', 'jwt'], scopes: ['orders:read'], audience: AUDIENCE }],
    },
    'soak',
  );
  // As `portcullis start` logs (synchronous pino), to /dev/null so the pipe is not what is measured.
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));
  const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger, print: () => {} });
  const consumer = await running.app.consumers.create({ name: 'soak', scopes: ['orders:read'], metadata: { plan: 'pro', accountId: 'acct_42' } }, actor);
  const { key } = await running.app.keys.create(consumer.id, {}, actor);
  const { client, secret } = await running.app.oauth.clients.create(consumer.id, { audiences: [AUDIENCE] }, actor);
  // The driver asks for a sample every 10 s, and now and then for the heap after a full GC (which shows
  // a leak; the heap before it does not), measured apart so the forced GC stays out of the interval's figures.
  // The driver may stop this process with a request still unanswered: the answer then has nowhere to
  // go, which the callback swallows (without one, the EPIPE is an uncaught error at every stop).
  const answer = (sample: ReturnType<typeof measure>) => {
    if (process.connected) process.send!(sample, () => undefined);
  };
  process.on('message', (message: { gc: boolean }) => {
    if (!message.gc) return answer(measure(true));
    (globalThis as { gc?: () => void }).gc?.();
    answer(measure(false));
  });
  process.stdout.write(
    `${JSON.stringify({ gateway: running.gatewayUrl, admin: running.adminUrl, key, adminKey: running.firstAdminKey, clientId: client.id, secret: secret!.secret, database })}\n`,
  );
}

// ---- the driver ------------------------------------------------------------------------------

interface TargetInfo {
  gateway: string;
  admin: string;
  key: string;
  adminKey: string;
  clientId: string;
  secret: string;
  database: string;
}

type Traffic = 'apiKey' | 'jwt' | 'token' | 'admin';

interface Interval {
  responses: Record<Traffic, number>;
  non2xx: Record<Traffic, number>;
  errors: number;
  /** Gateway latencies (API key and JWT), ms. */
  gatewayLatencies: number[];
  adminLatencies: number[];
}

interface Row {
  t: number;
  gatewayRate: number;
  tokenRate: number;
  adminRate: number;
  p50: number;
  p99: number;
  adminP99: number;
  non2xx: number;
  errors: number;
  rssMb: number;
  heapMb: number;
  fds: number;
  storeMb: number;
  cpuPercent: number;
  loopBusyPercent: number;
  loopDelayMaxMs: number;
  /** Per second of the interval. */
  gcMs: number;
  sqlMs: number;
  sql: Array<[string, number, number]>;
  seconds: number;
}

const emptyCounts = (): Record<Traffic, number> => ({ apiKey: 0, jwt: 0, token: 0, admin: 0 });
const freshInterval = (): Interval => ({ responses: emptyCounts(), non2xx: emptyCounts(), errors: 0, gatewayLatencies: [], adminLatencies: [] });

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function sizeMb(...paths: string[]): number {
  let bytes = 0;
  for (const path of paths) if (existsSync(path)) bytes += statSync(path).size;
  return bytes / 1_048_576;
}

function ask(child: ChildProcess, gc: boolean): Promise<ProcessSample> {
  return new Promise((resolve) => {
    child.once('message', (sample) => resolve(sample as ProcessSample));
    child.send({ gc });
  });
}

function spawnChild(script: string, args: string[], flags: string[] = []): ChildProcess {
  const env = { ...process.env, UV_THREADPOOL_SIZE: threadPoolSize(availableParallelism(), process.env.UV_THREADPOOL_SIZE) };
  return spawn(process.execPath, [...flags, script, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env });
}

async function token(info: TargetInfo): Promise<string> {
  const response = await fetch(`${info.gateway}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${info.clientId}:${info.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=orders%3Aread',
  });
  if (response.status !== 200) throw new Error(`token request answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** An autocannon run: the instance (for its events) and its result. */
function startLoad(options: autocannon.Options): { instance: autocannon.Instance; done: Promise<autocannon.Result> } {
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
  return { instance, done };
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| t (s) | gateway req/s | p50 ms | p99 ms | token req/s | admin writes/s | admin p99 ms | non-2xx | errors | RSS MB | heap MB | fds | store MB | CPU % | loop busy % | loop stall max ms | SQLite ms/s | GC ms/s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.t} | ${Math.round(r.gatewayRate).toLocaleString('en-US')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${Math.round(r.tokenRate)} | ${Math.round(r.adminRate)} | ` +
        `${r.adminP99.toFixed(1)} | ${r.non2xx} | ${r.errors} | ${r.rssMb.toFixed(0)} | ${r.heapMb.toFixed(0)} | ${r.fds} | ${r.storeMb.toFixed(1)} | ${r.cpuPercent.toFixed(0)} | ` +
        `${r.loopBusyPercent.toFixed(0)} | ${r.loopDelayMaxMs.toFixed(0)} | ${r.sqlMs.toFixed(0)} | ${r.gcMs.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

const MARK_START = '<!-- soak-report:start -->';
const MARK_END = '<!-- soak-report:end -->';

/** Puts the report between the markers of docs/reliability.md, keeping the rest of the file. */
function writeReport(report: string): string {
  const path = join(here, '..', '..', 'docs', 'reliability.md');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Reliability\n\n${MARK_START}\n${MARK_END}\n`;
  const start = current.indexOf(MARK_START);
  const end = current.indexOf(MARK_END);
  if (start === -1 || end < start) throw new Error(`${path} has no ${MARK_START} … ${MARK_END} section`);
  writeFileSync(path, `${current.slice(0, start + MARK_START.length)}\n${report}\n${current.slice(end)}`);
  return path;
}

async function main(): Promise<void> {
  const duration = option('duration', 300);
  const connections = option('connections', 16);
  const tokenRate = option('token-rate', 50);
  const adminRate = option('admin-rate', 300);
  const gatewayRate = option('gateway-rate', 0);
  if (!(duration >= 20)) throw new Error('--duration must be at least 20 (seconds)');
  const startedAt = new Date();
  const load = loadavg();
  const command = `npm run soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  console.log(
    `soak: ${duration}s, ${cpus().length} cores, Node ${process.version}, 127.0.0.1; load average at start ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const upstream = spawnChild(join(here, 'gateway.js'), ['upstream']);
  const children: ChildProcess[] = [upstream];
  const timers: NodeJS.Timeout[] = [];
  try {
    const { info: up } = await announced<{ port: number }>(upstream, 'upstream');
    const profile = process.env.SOAK_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SOAK_CPU_PROF}`] : [];
    const portcullis = spawnChild(self, ['target', `http://127.0.0.1:${up.port}`], ['--expose-gc', ...profile]);
    children.push(portcullis);
    const { info } = await announced<TargetInfo>(portcullis, 'portcullis');
    const jwt = await token(info);
    const pid = portcullis.pid!;
    const idle = await ask(portcullis, true);

    let interval = freshInterval();
    let made = 0;
    const runs: Array<{ traffic: Traffic } & ReturnType<typeof startLoad>> = [];
    const common = { duration, pipelining: 1 } as const;
    const gatewayLoad = { ...common, url: `${info.gateway}/orders/1`, connections, ...(gatewayRate > 0 ? { overallRate: gatewayRate } : {}) };
    runs.push({ traffic: 'apiKey', ...startLoad({ ...gatewayLoad, headers: { authorization: `Bearer ${info.key}` } }) });
    runs.push({ traffic: 'jwt', ...startLoad({ ...gatewayLoad, headers: { authorization: `Bearer ${jwt}` } }) });
    runs.push({
      traffic: 'token',
      ...startLoad({
        ...common,
        url: `${info.gateway}/oauth/token`,
        connections: 2,
        overallRate: tokenRate,
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${info.clientId}:${info.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=orders%3Aread',
      }),
    });
    // Admin writes that grow the store: a consumer, a key for it, then a change to the consumer.
    const adminHeaders = { authorization: `Bearer ${info.adminKey}`, 'content-type': 'application/json' };
    runs.push({
      traffic: 'admin',
      ...startLoad({
        ...common,
        url: info.admin,
        connections: 4,
        overallRate: adminRate,
        requests: [
          {
            method: 'POST',
            path: '/admin/v1/consumers',
            headers: adminHeaders,
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ name: `soak-${process.pid}-${++made}`, scopes: ['orders:read'], metadata: { plan: 'free', n: made } }),
            }),
            onResponse: (_status, body, context) => {
              (context as { consumer?: string }).consumer = (JSON.parse(body) as { id: string }).id;
            },
          },
          {
            method: 'POST',
            headers: adminHeaders,
            setupRequest: (request, context) => ({
              ...request,
              path: `/admin/v1/consumers/${(context as { consumer?: string }).consumer}/keys`,
              body: JSON.stringify({ name: 'soak' }),
            }),
          },
          {
            method: 'PATCH',
            headers: adminHeaders,
            setupRequest: (request, context) => ({
              ...request,
              path: `/admin/v1/consumers/${(context as { consumer?: string }).consumer}`,
              body: JSON.stringify({ metadata: { plan: 'pro' } }),
            }),
          },
        ],
      }),
    });
    for (const { traffic, instance } of runs) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        interval.responses[traffic] += 1;
        if (statusCode < 200 || statusCode > 299) interval.non2xx[traffic] += 1;
        if (traffic === 'apiKey' || traffic === 'jwt') interval.gatewayLatencies.push(responseTime);
        else if (traffic === 'admin') interval.adminLatencies.push(responseTime);
      });
      instance.on('reqError', () => (interval.errors += 1));
    }

    const rows: Row[] = [];
    const gcHeap: Array<{ t: number; rssMb: number; heapMb: number }> = [{ t: 0, rssMb: idle.rss / 1_048_576, heapMb: idle.heapUsed / 1_048_576 }];
    let cpuBefore = cpuMs(pid);
    const begin = performance.now();
    let last = begin;
    const sample = async (final = false) => {
      const now = performance.now();
      const seconds = (now - last) / 1000;
      // The tail after the last full interval, while the load winds down, says little.
      if (final && seconds < SAMPLE_MS / 2000) return;
      const done = interval;
      interval = freshInterval();
      last = now;
      const cpu = cpuMs(pid);
      const proc = await ask(portcullis, false);
      const non2xx = Object.values(done.non2xx).reduce((a, b) => a + b, 0);
      const row: Row = {
        t: Math.round((now - begin) / 1000),
        gatewayRate: (done.responses.apiKey + done.responses.jwt) / seconds,
        tokenRate: done.responses.token / seconds,
        adminRate: done.responses.admin / seconds,
        p50: percentile(done.gatewayLatencies, 50),
        p99: percentile(done.gatewayLatencies, 99),
        adminP99: percentile(done.adminLatencies, 99),
        non2xx,
        errors: done.errors,
        rssMb: proc.rss / 1_048_576,
        heapMb: proc.heapUsed / 1_048_576,
        fds: proc.fds,
        storeMb: sizeMb(info.database, `${info.database}-wal`),
        cpuPercent: ((cpu - cpuBefore) / (seconds * 1000)) * 100,
        loopBusyPercent: proc.loopBusy * 100,
        loopDelayMaxMs: proc.loopDelayMaxMs,
        gcMs: proc.gcMs / seconds,
        sqlMs: proc.sqlMs / seconds,
        sql: proc.sql,
        seconds,
      };
      cpuBefore = cpu;
      rows.push(row);
      console.log(
        `t=${row.t}s gateway ${Math.round(row.gatewayRate)}/s p50 ${row.p50.toFixed(1)} p99 ${row.p99.toFixed(1)} ms, token ${Math.round(row.tokenRate)}/s, admin ${Math.round(row.adminRate)}/s, ` +
          `non-2xx ${row.non2xx}, errors ${row.errors}, RSS ${row.rssMb.toFixed(0)} MB, heap ${row.heapMb.toFixed(0)} MB, fds ${row.fds}, store ${row.storeMb.toFixed(1)} MB, ` +
          `CPU ${row.cpuPercent.toFixed(0)} %, loop busy ${row.loopBusyPercent.toFixed(0)} %, stall max ${row.loopDelayMaxMs.toFixed(0)} ms, SQLite ${row.sqlMs.toFixed(0)} ms/s, GC ${row.gcMs.toFixed(0)} ms/s`,
      );
    };
    timers.push(setInterval(() => void sample(), SAMPLE_MS));
    const results = await Promise.all(runs.map(({ done }) => done));
    for (const timer of timers) clearInterval(timer);
    await sample(true);
    const end = await ask(portcullis, true);
    gcHeap.push({ t: Math.round((performance.now() - begin) / 1000), rssMb: end.rss / 1_048_576, heapMb: end.heapUsed / 1_048_576 });
    const afterLabel = `${gcHeap[gcHeap.length - 1]!.t} s (the end)`;

    const fds = { idle: idle.fds, peak: Math.max(...rows.map((r) => r.fds)), after: end.fds };
    const report = summarise({
      rows,
      gcHeap,
      fds,
      afterLabel,
      results: runs.map(({ traffic }, i) => ({ traffic, result: results[i]! })),
      duration,
      startedAt,
      load,
      command,
      connections,
      tokenRate,
      adminRate,
      gatewayRate,
      made,
    });
    console.log(`\n${report}`);
    if (!process.argv.includes('--no-report')) console.log(`\nwritten to ${writeReport(report)}`);
  } finally {
    for (const timer of timers) clearInterval(timer);
    // SIGTERM: the Portcullis child exits normally, so --cpu-prof writes its profile.
    for (const child of children) child.kill('SIGTERM');
  }
}

interface Summary {
  rows: Row[];
  gcHeap: Array<{ t: number; rssMb: number; heapMb: number }>;
  /** Open fds before the load, their most during it, and after it stopped. */
  fds: { idle: number; peak: number; after: number };
  afterLabel: string;
  results: Array<{ traffic: Traffic; result: autocannon.Result }>;
  duration: number;
  startedAt: Date;
  load: number[];
  command: string;
  connections: number;
  tokenRate: number;
  adminRate: number;
  gatewayRate: number;
  made: number;
}

type Window = readonly Row[];
type Figure = { [K in keyof Row]: Row[K] extends number ? K : never }[keyof Row];

function mean(rows: Window, field: Figure): number {
  return rows.reduce((sum, r) => sum + r[field], 0) / Math.max(1, rows.length);
}

function summarise(s: Summary): string {
  const total = (traffic: Traffic) => s.results.find((r) => r.traffic === traffic)!.result;
  const last = s.rows[s.rows.length - 1]!;
  const end = last.t;
  // Minute 2 against the last minute, as in the observation this soak was written for; a shorter run
  // compares its halves (the first sample, warm-up, left out when there are enough).
  const long = end >= 180;
  const rest = s.rows.length >= 4 ? s.rows.slice(1) : s.rows;
  const half = Math.ceil(rest.length / 2);
  const early: Window = long ? s.rows.filter((r) => r.t > 60 && r.t <= 121) : rest.slice(0, half);
  const late: Window = long ? s.rows.filter((r) => r.t > end - 60) : rest.slice(half);
  const windows = long ? 'minute 2 → last minute' : 'first half → second half';
  const trend = (field: Figure) => ({ early: mean(early, field), late: mean(late, field) });
  const rate = trend('gatewayRate');
  const p99 = trend('p99');
  const admin = trend('adminRate');
  const errors = s.results.reduce((sum, r) => sum + r.result.errors + r.result.timeouts, 0);
  const non2xx = s.results.reduce((sum, r) => sum + r.result.non2xx, 0);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const change = (a: number, b: number) => (a > 0 ? `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)} %` : 'n/a');
  const maxRss = Math.max(...s.rows.map((r) => r.rssMb));
  const lines = [
    `### Soak of ${s.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${s.command}\` (${s.duration} s; ${s.connections} connections each for API-key and JWT gateway traffic${s.gatewayRate > 0 ? ` at ${s.gatewayRate} req/s each` : ''}, ` +
      `token requests at ${s.tokenRate}/s, admin writes at ${s.adminRate}/s: create consumer, create key, update consumer)`,
    `- Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 1_073_741_824).toFixed(1)} GB, Node ${process.version}, ${process.platform}; ` +
      `load generator, Portcullis (SQLite, access log on) and upstream on the same machine; load average at start ${s.load.map((l) => l.toFixed(2)).join(' ')} ` +
      '(other work on the machine shows there and in the CPU column)',
    `- Totals: ${(total('apiKey').requests.total + total('jwt').requests.total).toLocaleString('en-US')} gateway requests ` +
      `(API key ${total('apiKey').requests.total.toLocaleString('en-US')}, JWT ${total('jwt').requests.total.toLocaleString('en-US')}), ` +
      `${total('token').requests.total.toLocaleString('en-US')} tokens, ${total('admin').requests.total.toLocaleString('en-US')} admin writes (${s.made.toLocaleString('en-US')} consumers); ` +
      `non-2xx ${non2xx}, errors and timeouts ${errors}`,
    `- Gateway throughput, ${windows}: ${Math.round(rate.early).toLocaleString('en-US')} → ${Math.round(rate.late).toLocaleString('en-US')} req/s (${change(rate.early, rate.late)}); ` +
      `p99 ${p99.early.toFixed(1)} → ${p99.late.toFixed(1)} ms; admin writes ${Math.round(admin.early)} → ${Math.round(admin.late)}/s`,
    `- Memory: RSS peak ${maxRss.toFixed(0)} MB; after a full GC ${s.gcHeap.map((g) => `${g.t === 0 ? 'before the load' : g === s.gcHeap[s.gcHeap.length - 1] ? `at ${s.afterLabel}` : `at ${g.t} s`} RSS ${g.rssMb.toFixed(0)} MB, heap ${g.heapMb.toFixed(0)} MB`).join('; ')}; ` +
      `open fds ${s.fds.idle} before the load, ${s.fds.peak} at most during it, ${s.fds.after} right after it (the upstream pool keeps its idle connections for the upstream's keep-alive hint, 60 s here); store (database + WAL) ${last.storeMb.toFixed(1)} MB at the end`,
    '',
    table(s.rows),
    '',
    `SQLite time on the event loop by statement, ${windows} (ms per second of run; µs per call):`,
    '',
    sqlTable(early, late),
  ];
  return lines.join('\n');
}

/** The statements that took most SQLite time, in the early and the late window. */
function sqlTable(early: Window, late: Window): string {
  const over = (inside: Window) => {
    const seconds = inside.reduce((sum, r) => sum + r.seconds, 0) || 1;
    const byLabel = new Map<string, { ms: number; calls: number }>();
    for (const r of inside) {
      for (const [label, ms, calls] of r.sql) {
        const entry = byLabel.get(label) ?? { ms: 0, calls: 0 };
        entry.ms += ms;
        entry.calls += calls;
        byLabel.set(label, entry);
      }
    }
    return { seconds, byLabel };
  };
  const a = over(early);
  const b = over(late);
  const labels = [...new Set([...a.byLabel.keys(), ...b.byLabel.keys()])]
    .sort((x, y) => (b.byLabel.get(y)?.ms ?? 0) - (b.byLabel.get(x)?.ms ?? 0))
    .slice(0, 10);
  const cell = (w: typeof a, label: string) => {
    const entry = w.byLabel.get(label);
    return entry ? `${(entry.ms / w.seconds).toFixed(1)} ms/s, ${((entry.ms * 1000) / entry.calls).toFixed(0)} µs` : '—';
  };
  return ['| statement | early | late |', '|---|---|---|', ...labels.map((label) => `| \`${label}\` | ${cell(a, label)} | ${cell(b, label)} |`)].join('\n');
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'target') {
  process.once('SIGTERM', () => process.exit(0));
  await target(args[0]!);
} else {
  await main();
  process.exit(0);
}
