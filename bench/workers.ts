// Every core: `portcullis start` with workers: 1…N (a supervisor and N workers, as an operator runs it)
// against the same upstream, in the same run, driven in turn by autocannon on 127.0.0.1 for a bounded
// time. Reports req/s and CPU µs a request of the supervisor, the workers and the upstream apart (from
// /proc), with and without a per-consumer rate limit (without Redis the limit is the supervisor's,
// asked over IPC: its cost is the difference).
//   npm run bench -- workers     (or: node dist/bench/workers.js [--duration 5] [--rounds 2] [--max N] [--connections 32])
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { generateMasterKey } from '../src/oauth/master-key.js';
import { option } from './lib/child.js';
import { cpuMs } from './lib/cpu.js';
import { median } from './lib/median.js';

const CLI = resolve('dist/src/cli/launch.cjs');
const seconds = option('duration', 5);
const rounds = option('rounds', 2);
const connections = option('connections', 32);
const maxWorkers = option('max', availableParallelism());
const BODY = JSON.stringify({ id: 'ord_123', status: 'shipped', items: [{ sku: 'A-1', quantity: 2 }], total: 4200 });

const UPSTREAM = `
const body = ${JSON.stringify(BODY)};
const server = require('node:http').createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(body); });
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

interface Node {
  child: ChildProcess;
  gatewayUrl: string;
  pids: number[];
  key: string;
}

async function firstLine(child: ChildProcess, test: (line: string) => boolean, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  let buffered = '';
  return new Promise((resolvePromise, reject) => {
    const source = child[stream]!;
    const onData = (chunk: Buffer) => {
      buffered += chunk;
      const line = buffered.split('\n').find(test);
      if (line) {
        source.off('data', onData);
        resolvePromise(line);
      }
    };
    source.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

async function startNode(dir: string, workers: number, upstream: string, limited: boolean): Promise<Node> {
  const config = join(dir, `w${workers}${limited ? 'l' : ''}.yaml`);
  writeFileSync(
    config,
    [
      `workers: ${workers}`,
      `store: sqlite:${join(dir, `w${workers}${limited ? 'l' : ''}.db`)}`,
      'listen: { host: 127.0.0.1, port: 0 }',
      'admin: { host: 127.0.0.1, port: 0 }',
      `oauth: { masterKey: ${generateMasterKey()} }`,
      'apis:',
      `  - { name: orders, basePath: /orders, upstream: "${upstream}"${limited ? ', rateLimit: { limit: 1000000000, window: 1m }' : ''} }`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, [CLI, 'start', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = firstLine(child, (line) => line.includes('"supervisor":true') && line.includes('"msg":"portcullis started"'));
  const banner = firstLine(child, (line) => line.includes('PORTCULLIS_ADMIN_KEY='), 'stderr');
  const info = JSON.parse(await started) as { gatewayUrl: string; adminUrl: string; pids: number[] };
  const adminKey = (await banner).split('=')[1]!.trim();
  // The access log goes on: drain it.
  child.stdout!.resume();
  child.stderr!.resume();
  const admin = async (path: string, body: unknown) =>
    (
      await fetch(`${info.adminUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json() as Promise<Record<string, string>>;
  const consumer = await admin('/admin/v1/consumers', { name: 'bench' });
  const issued = await admin(`/admin/v1/consumers/${consumer.id}/keys`, {});
  return { child, gatewayUrl: info.gatewayUrl, pids: info.pids, key: issued.key! };
}

interface Sample {
  rps: number;
  supervisorUs: number;
  workersUs: number;
  upstreamUs: number;
}

async function drive(node: Node, upstreamPid: number, duration: number): Promise<Sample> {
  const before = { supervisor: cpuMs(node.child.pid!), workers: node.pids.map(cpuMs), upstream: cpuMs(upstreamPid) };
  const result = await autocannon({ url: `${node.gatewayUrl}/orders/123`, headers: { 'x-api-key': node.key }, connections, duration, pipelining: 1 });
  const total = result.requests.total || 1;
  const perRequest = (ms: number) => (ms * 1000) / total;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    supervisorUs: perRequest(cpuMs(node.child.pid!) - before.supervisor),
    workersUs: perRequest(node.pids.reduce((sum, pid, i) => sum + cpuMs(pid) - before.workers[i]!, 0)),
    upstreamUs: perRequest(cpuMs(upstreamPid) - before.upstream),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-workers-'));
  const upstream = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'pipe', 'inherit'] });
  const nodes: Array<{ label: string; workers: number; limited: boolean; node: Node; samples: Sample[] }> = [];
  try {
    const upstreamPort = (JSON.parse(await firstLine(upstream, (line) => line.startsWith('{'))) as { port: number }).port;
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    for (const limited of [false, true]) {
      for (let workers = 1; workers <= maxWorkers; workers++) {
        const node = await startNode(dir, workers, upstreamUrl, limited);
        nodes.push({ label: `${workers} worker${workers > 1 ? 's' : ''}${limited ? ', rate limit' : ''}`, workers, limited, node, samples: [] });
      }
    }
    // Warm-up: every worker of every node reaches the optimising tier before the rounds.
    for (const target of nodes) await drive(target.node, upstream.pid!, 2);
    for (let round = 0; round < rounds; round++) {
      // Each round starts with the next target, so no target always runs first (or last).
      for (let i = 0; i < nodes.length; i++) {
        const target = nodes[(i + round) % nodes.length]!;
        target.samples.push(await drive(target.node, upstream.pid!, seconds));
      }
    }
    console.log(`workers bench: ${rounds} rounds of ${seconds} s, ${connections} connections, medians; CPU µs a request (supervisor + workers + upstream)`);
    for (const limited of [false, true]) {
      const group = nodes.filter((n) => n.limited === limited);
      const one = group[0]!;
      const ofOne = {
        rps: median(one.samples.map((s) => s.rps)),
        cpu: median(one.samples.map((s) => s.supervisorUs + s.workersUs)),
      };
      for (const target of group) {
        const rps = median(target.samples.map((s) => s.rps));
        const supervisor = median(target.samples.map((s) => s.supervisorUs));
        const workers = median(target.samples.map((s) => s.workersUs));
        const upstreamUs = median(target.samples.map((s) => s.upstreamUs));
        const cpu = median(target.samples.map((s) => s.supervisorUs + s.workersUs));
        console.log(
          `${target.label.padEnd(26)} ${rps.toFixed(0).padStart(7)} req/s (${(rps / ofOne.rps).toFixed(2)}×)  ` +
            `CPU ${supervisor.toFixed(1)} + ${workers.toFixed(1)} = ${cpu.toFixed(1)} µs (${(cpu / ofOne.cpu).toFixed(2)}× one worker) + upstream ${upstreamUs.toFixed(1)} µs`,
        );
      }
    }
  } finally {
    for (const { node } of nodes) {
      node.child.kill('SIGTERM');
      if (node.child.exitCode === null) await once(node.child, 'exit');
    }
    upstream.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
