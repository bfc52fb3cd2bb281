// Counting a process's instructions with callgrind, for bench/instructions.ts and bench/guard.ts:
// the process runs under `valgrind --tool=callgrind` with counting off, is warmed up, and only a
// fixed amount of work is counted, on the main thread only (the JIT compiler's threads do an amount
// of work in the counted window that depends on how far tiering got under valgrind, not on the code).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { announced } from './child.js';

export interface Started {
  child: ChildProcess;
  info: { port: number; key?: string };
}

/** Why instructions cannot be counted here, or undefined when valgrind is installed. */
export function valgrindMissing(): string | undefined {
  return spawnSync('valgrind', ['--version']).status === 0 ? undefined : 'valgrind is not installed';
}

/** Starts `node [nodeFlags] <script> <args>` (under callgrind when `outFile` is given) and waits for its first JSON line. */
export function start(script: string, args: string[], outFile?: string, nodeFlags: readonly string[] = []): Promise<Started> {
  const command = outFile ? 'valgrind' : process.execPath;
  const node = [...nodeFlags, script, ...args];
  const argv = outFile
    ? ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${outFile}`, process.execPath, ...node]
    : node;
  // BENCH_COUNTING: Portcullis puts its timed work off past the run (see bench/gateway.ts).
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, BENCH_COUNTING: '1' } });
  return announced(child, `${script} ${args[0]}`);
}

/**
 * Every gateway target gets the same request, as in bench/gateway.ts: the bare proxy and the floor,
 * which check no key, a key of the same length as the ones Portcullis issues.
 */
const ANY_KEY = `pcl_${'0'.repeat(36)}`;

/** `amount` requests to the target's `/orders/123`; throws on any failure. */
export async function drive(target: Started, amount: number, connections = 8): Promise<void> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.info.key ?? ANY_KEY}` };
  const result = await autocannon({ url: `http://127.0.0.1:${target.info.port}/orders/123`, headers, connections, amount, pipelining: 1, timeout: 60 });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
}

/** SIGTERM, so the target exits normally and removes its temporary store; SIGKILL if it hangs. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

export interface Counting {
  /** Uncounted work that brings the code to its optimised tier. */
  warm: (target: Started) => Promise<void>;
  /** The counted work: `count` units of it. */
  counted: (target: Started) => Promise<void>;
  count: number;
  /** Node (V8) flags for the counted process. */
  nodeFlags?: readonly string[];
}

/** Instructions of the main thread of `node <script> <args>` per unit of `counted`, after `warm`. */
export async function countInstructions(script: string, args: string[], outFile: string, { warm, counted, count, nodeFlags }: Counting): Promise<number> {
  const target = await start(script, args, outFile, nodeFlags);
  try {
    await warm(target);
    execFileSync('callgrind_control', ['--instr=on', String(target.child.pid)], { stdio: 'ignore' });
    await counted(target);
    execFileSync('callgrind_control', ['--instr=off', String(target.child.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--dump', String(target.child.pid)], { stdio: 'ignore' });
  } finally {
    await stop(target.child);
  }
  // The dump of the counted window, thread 1.
  const totals = readFileSync(`${outFile}.1-01`, 'utf8').match(/^totals: (\d+)$/m);
  if (!totals) throw new Error(`no totals in the dump ${outFile}`);
  return Number(totals[1]) / count;
}

/** A gateway target's instructions per request: `count` requests after `warm` uncounted ones. */
export function countRequests(script: string, args: string[], dir: string, name: string, warm: number, count: number, connections = 8): Promise<number> {
  return countInstructions(script, args, join(dir, `${name}.out`), {
    warm: (target) => drive(target, warm, connections),
    counted: (target) => drive(target, count, connections),
    count,
  });
}
