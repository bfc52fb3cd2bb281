// Gateway cost in instructions, for machines whose speed drifts more than a change moves req/s: the
// targets of bench/gateway.ts (the bare proxy on `pool.stream()` that the goal compares with, the
// bare proxy on Portcullis' forwarding code, the floor, Portcullis with API-key auth), each run
// under `valgrind --tool=callgrind`, warmed up, then counted over a fixed number of requests.
// Instructions are counted on the main thread only: the JIT compiler's threads do an amount of work
// in the counted window that depends on how far tiering got under valgrind, not on the code.
//   npm run bench -- instructions   (or: node dist/bench/instructions.js [--warm 20000] [--count 4000]
//                                      [--also <another build's dist/bench/gateway.js>])
// --also adds that build's Portcullis as a fifth target: an A/B of two builds in instructions. A
// build before 4726934 does not read BENCH_COUNTING (below), so its count includes timed work.
// A shorter warm-up leaves code still running in V8's baseline tier in the counted window (with
// 2,000 the floor counted 28k above the bare proxy instead of ~2k; with 6,000 parts of Portcullis'
// authentication and access log were still unoptimised, ~4.6k a request more than with 20,000).
// Needs valgrind (every machine kind here has it); without it the bench says so and stops.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { announced, option } from './lib/child.js';

const gatewayScript = fileURLToPath(new URL('./gateway.js', import.meta.url));

interface Started {
  child: ChildProcess;
  info: { port: number; key?: string };
}

/** Starts `node <script> <args>` (under callgrind when `outFile` is given) and waits for its port line. */
function start(script: string, args: string[], outFile?: string): Promise<Started> {
  const command = outFile ? 'valgrind' : process.execPath;
  const argv = outFile
    ? ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${outFile}`, process.execPath, script, ...args]
    : [script, ...args];
  // BENCH_COUNTING: Portcullis puts its timed work off past the run (see bench/gateway.ts).
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, BENCH_COUNTING: '1' } });
  return announced(child, `${script} ${args[0]}`);
}

/**
 * Every target gets the same request, as in bench/gateway.ts: the bare proxy and the floor, which
 * check no key, a key of the same length as the ones Portcullis issues.
 */
const ANY_KEY = `pcl_${'0'.repeat(36)}`;

async function drive(target: Started, amount: number): Promise<void> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.info.key ?? ANY_KEY}` };
  const result = await autocannon({ url: `http://127.0.0.1:${target.info.port}/orders/123`, headers, connections: 8, amount, pipelining: 1, timeout: 60 });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
}

/** SIGTERM, so the target exits normally and removes its temporary store; SIGKILL if it hangs. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Instructions of the main thread over `count` requests after `warm` uncounted ones. */
async function measure(script: string, args: string[], dir: string, name: string, warm: number, count: number): Promise<number> {
  const outFile = join(dir, `${name}.out`);
  const target = await start(script, args, outFile);
  try {
    await drive(target, warm);
    execFileSync('callgrind_control', ['--instr=on', String(target.child.pid)], { stdio: 'ignore' });
    await drive(target, count);
    execFileSync('callgrind_control', ['--instr=off', String(target.child.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--dump', String(target.child.pid)], { stdio: 'ignore' });
  } finally {
    await stop(target.child);
  }
  // The dump of the counted window, thread 1.
  const totals = readFileSync(join(dir, `${name}.out.1-01`), 'utf8').match(/^totals: (\d+)$/m);
  if (!totals) throw new Error(`no totals in the dump for ${name}`);
  return Number(totals[1]) / count;
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('instructions bench: valgrind is not installed; skipped');
    return;
  }
  const warm = option('warm', 20000);
  const count = option('count', 4000);
  const alsoIndex = process.argv.indexOf('--also');
  const also = alsoIndex === -1 ? undefined : process.argv[alsoIndex + 1];
  console.log(`instructions bench: callgrind, main thread, ${warm} warm-up and ${count} counted requests per target, 8 connections, Node ${process.version}`);

  const dir = mkdtempSync(join(tmpdir(), 'portcullis-instructions-'));
  const upstream = await start(gatewayScript, ['upstream']);
  const origin = `http://127.0.0.1:${upstream.info.port}`;
  const targets: Array<[string, string, string[]]> = [
    ['bare node:http + undici proxy (pool.stream)', gatewayScript, ['baseline', origin, 'stream']],
    ["bare proxy on Portcullis' forwarding code (dispatch)", gatewayScript, ['baseline', origin, 'dispatch']],
    ['floor: bare proxy + the headers Portcullis sends upstream', gatewayScript, ['baseline', origin, 'floor']],
    ['Portcullis, API-key auth', gatewayScript, ['portcullis', origin, 'raw']],
  ];
  if (also) targets.push([`Portcullis, API-key auth (${also})`, also, ['portcullis', origin, 'raw']]);
  const figures: number[] = [];
  try {
    for (const [index, [, script, args]] of targets.entries()) figures.push(await measure(script, args, dir, `target${index}`, warm, count));
  } finally {
    await stop(upstream.child);
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| target | instructions per request (main thread) | bare proxy / target |');
  console.log('|---|---|---|');
  targets.forEach(([name], i) => console.log(`| ${name} | ${(figures[i]! / 1000).toFixed(1)}k | ${(figures[0]! / figures[i]!).toFixed(3)} |`));
  console.log(`\nPortcullis, by instructions: ${(figures[0]! / figures[3]!).toFixed(3)} of the bare proxy (the req/s goal is ≥ 0.85), ` +
    `${(figures[1]! / figures[3]!).toFixed(3)} of the bare proxy on its own forwarding code`);
}

await main();
