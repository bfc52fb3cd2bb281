// The instruction budget: a regression guard that holds on a noisy machine, where req/s drift more
// than a change moves them. Counts, with callgrind (main thread, after a warm-up), the instructions
// of two hot paths and compares them with bench/instruction-budget.json; fails when one grew by
// more than the budget's tolerance (10 %).
//   key-verify       one verification of a cached valid key with a scope, in process (no HTTP)
//   gateway-request  one proxied request through Portcullis as `npx portcullis start` runs it
//                    (cached API key, access log, metrics), over one keep-alive connection
//   npm run bench:guard                  check against the budget (`.ci/run` runs it after `npm test`)
//   npm run bench:guard -- --update      count 3 times and write the medians as the new budget
//   node dist/bench/guard.js [--update] [--runs N] [--only key-verify|gateway-request]
//        [--verify-warm N] [--verify-count N] [--gateway-warm N] [--gateway-count N] [--connections N]
// One connection, not bench/instructions.ts' eight: with eight, how many requests share an
// event-loop turn (and its per-turn work) depended on the machine's load, and the count of one
// build moved by 12 % between runs. Counts depend on Node's V8 and the CPU architecture: with
// another major version or architecture than the budget's, or without valgrind, the guard says
// why and skips (exit 0).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createApp } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { countInstructions, countRequests, type Started, start, stop, valgrindMissing } from './lib/callgrind.js';
import { option } from './lib/child.js';
import { median } from './lib/median.js';

const self = fileURLToPath(import.meta.url);
const gatewayScript = fileURLToPath(new URL('./gateway.js', import.meta.url));
const budgetFile = fileURLToPath(new URL('../../bench/instruction-budget.json', import.meta.url));

interface Budget {
  about: string;
  node: string;
  arch: string;
  tolerance: number;
  measured: string;
  paths: Record<string, { instructions: number; runs: number[] }>;
}

/** Timed work (store sync, flushes, cache refresh) put off past the run, as BENCH_COUNTING does in bench/gateway.ts. */
const NO_TIMERS = { keys: { cache: { ttl: '1h' }, lastUsedFlushInterval: '1h' }, usage: { flushInterval: '1h' }, oauth: { syncInterval: '1h' } };

/** Under callgrind: an app on a temporary SQLite store verifies `warm` keys, announces itself, then verifies `count` more on "go". */
async function verifyChild(warm: number, count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-guard-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const app = await createApp({
    config: validateConfig({ store: `sqlite:${join(dir, 'guard.db')}`, ...NO_TIMERS, log: { level: 'silent' } }, 'guard'),
    logger: createLogger('silent'),
  });
  const actor = { id: 'guard', sourceIp: null };
  const consumer = await app.consumers.create({ name: 'guard', scopes: ['orders:read'], metadata: { plan: 'pro' } }, actor);
  const keys: string[] = [];
  for (let i = 0; i < 100; i++) keys.push((await app.keys.create(consumer.id, {}, actor)).key);
  const verify = async (amount: number) => {
    for (let i = 0; i < amount; i++) {
      // A cached key is answered without a promise (src/keys/verify.ts): no await, no microtask counted.
      const answer = app.verifyKey(keys[i % keys.length]!, { scopes: ['orders:read'] });
      const result = answer instanceof Promise ? await answer : answer;
      if (!result.valid) throw new Error(`verification refused: ${result.code}`);
    }
  };
  await verify(warm);
  // A full GC between the warm-up and the count, so each run counts from the same heap (with
  // --predictable, below, the count is then the same to 0.3 %).
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  process.stdout.write(`${JSON.stringify({ port: 0 })}\n`);
  process.stdin.once('data', () => {
    verify(count).then(
      () => process.stdout.write('done\n'),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

/** Sends "go" to a verify child and waits for its "done"; rejects if it exits first. */
function verifyCounted(target: Started): Promise<void> {
  return new Promise((resolve, reject) => {
    target.child.once('exit', (code) => reject(new Error(`the key-verify child exited with ${code}`)));
    let seen = '';
    target.child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk;
      if (seen.includes('done\n')) resolve();
    });
    target.child.stdin!.write('go\n');
  });
}

/** Each path's instructions per unit, one figure per run. */
async function measure(runs: number): Promise<Record<string, number[]>> {
  const verifyWarm = option('verify-warm', 20000);
  const verifyCount = option('verify-count', 20000);
  const gatewayWarm = option('gateway-warm', 6000);
  const gatewayCount = option('gateway-count', 2000);
  const connections = option('connections', 1);
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  console.log(
    `bench:guard: callgrind, main thread, Node ${process.version} (${process.arch}); key-verify ${verifyWarm} warm-up + ${verifyCount} counted ` +
      `verifications in process; gateway-request ${gatewayWarm} warm-up + ${gatewayCount} counted requests, ${connections} connection(s); ${runs} run(s)`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-guard-'));
  const upstream = await start(gatewayScript, ['upstream']);
  const origin = `http://127.0.0.1:${upstream.info.port}`;
  const figures: Record<string, number[]> = {};
  const counters: Record<string, (run: number) => Promise<number>> = {
    'key-verify': (run) =>
      countInstructions(self, ['verify', String(verifyWarm), String(verifyCount)], join(dir, `verify${run}.out`), {
        warm: async () => {},
        counted: verifyCounted,
        count: verifyCount,
        // V8 single-threaded and deterministic (no concurrent compilation or GC), and a full GC before
        // the count (verifyChild): one build counted 12,140–14,941 in four runs without both (2026-12-07),
        // 11,544–15,115 with the GC alone, 15,055–17,391 with the flag alone, 12,405–12,442 with both.
        // Not for gateway-request: there the flag doubles the count (the helper threads' work moves onto
        // the main thread), and its spread was ~2 % without it.
        nodeFlags: ['--predictable'],
      }),
    'gateway-request': (run) => countRequests(gatewayScript, ['portcullis', origin, 'raw'], dir, `gateway${run}`, gatewayWarm, gatewayCount, connections),
  };
  const paths = Object.keys(counters).filter((path) => only === undefined || path === only);
  try {
    for (let run = 0; run < runs; run++) {
      const began = Date.now();
      // The paths side by side: each valgrind keeps one core busy.
      const counts = await Promise.all(paths.map((path) => counters[path]!(run)));
      paths.forEach((path, i) => {
        figures[path] ??= [];
        figures[path].push(counts[i]!);
      });
      const seconds = ((Date.now() - began) / 1000).toFixed(0);
      console.log(`run ${run + 1}: ${paths.map((path, i) => `${path} ${Math.round(counts[i]!)}`).join(', ')} (${seconds} s)`);
    }
  } finally {
    await stop(upstream.child);
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

function spread(values: readonly number[]): string {
  return values.length < 2 ? '' : `, spread ${(((Math.max(...values) - Math.min(...values)) / median(values)) * 100).toFixed(1)} %`;
}

async function main(): Promise<void> {
  const update = process.argv.includes('--update');
  const missing = valgrindMissing();
  if (missing) {
    console.log(`bench:guard: ${missing}; skipped (instruction counts need valgrind's callgrind)`);
    return;
  }
  const budget = JSON.parse(readFileSync(budgetFile, 'utf8')) as Budget;
  const major = (version: string) => version.replace(/^v/, '').split('.')[0];
  if (!update && (major(budget.node) !== major(process.version) || budget.arch !== process.arch)) {
    console.log(`bench:guard: the budget was counted on Node ${budget.node} (${budget.arch}), this is ${process.version} (${process.arch}); skipped`);
    return;
  }
  const figures = await measure(option('runs', update ? 3 : 1));

  if (update) {
    budget.node = process.version;
    budget.arch = process.arch;
    budget.measured = `${new Date().toISOString().slice(0, 16)}Z`;
    for (const [path, runs] of Object.entries(figures)) budget.paths[path] = { instructions: Math.round(median(runs)), runs: runs.map(Math.round) };
    writeFileSync(budgetFile, `${JSON.stringify(budget, null, 2)}\n`);
    for (const [path, runs] of Object.entries(figures)) console.log(`${path}: ${Math.round(median(runs))} instructions (median${spread(runs)})`);
    console.log(`wrote ${budgetFile}`);
    return;
  }

  console.log(`\n| path | budget (${budget.measured}) | measured | change | limit |`);
  console.log('|---|---|---|---|---|');
  let failed = false;
  for (const [path, runs] of Object.entries(figures)) {
    const allowed = budget.paths[path]?.instructions;
    if (allowed === undefined) throw new Error(`${budgetFile} has no budget for ${path}`);
    const measured = median(runs);
    const change = measured / allowed - 1;
    const over = change > budget.tolerance;
    failed ||= over;
    console.log(
      `| ${path} | ${allowed} | ${Math.round(measured)}${spread(runs)} | ${(change * 100).toFixed(1)} % | +${budget.tolerance * 100} %${over ? ' **exceeded**' : ''} |`,
    );
    if (change < -budget.tolerance) console.log(`${path} is well under its budget: lower it on purpose with \`npm run bench:guard -- --update\``);
  }
  if (failed) {
    console.log(
      '\nbench:guard: FAILED: a hot path costs more than its budget allows. If the growth is intended, ' +
        'update the budget on purpose (`npm run bench:guard -- --update`) and say why in the commit.',
    );
    process.exitCode = 1;
  } else console.log('\nbench:guard: every path within its budget');
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'verify') {
  process.once('SIGTERM', () => process.exit(0));
  await verifyChild(Number(args[0]), Number(args[1]));
} else await main();
