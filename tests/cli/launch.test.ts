// The `portcullis` executable sizes libuv's thread pool before anything starts it: a server started
// through it runs exactly the pool threads threadPoolSize() asks for. Counted from /proc (Linux), against
// the same server started with UV_THREADPOOL_SIZE=4 (libuv's default) so the other threads cancel out.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { threadPoolSize } from '../../src/cli/thread-pool.cjs';

const CLI = resolve('dist/src/cli/launch.cjs');

async function started(env: Record<string, string | undefined>): Promise<{ child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-launch-'));
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dir,
    env: { ...process.env, PORTCULLIS_LISTEN_PORT: '0', PORTCULLIS_ADMIN_PORT: '0', PORTCULLIS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let banner = '';
  await new Promise<void>((resolvePromise, reject) => {
    // The banner is on stderr.
    child.stderr!.on('data', (chunk: Buffer) => {
      banner += chunk;
      if (banner.includes('Metrics: ')) resolvePromise();
    });
    child.once('exit', (code) => reject(new Error(`the CLI exited (${code}) before it was ready:\n${banner}`)));
  });
  return { child, dir };
}

async function stop({ child, dir }: { child: ChildProcess; dir: string }): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}

const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).length;

test('portcullis start runs libuv with cores − 1 pool threads (1–4) unless UV_THREADPOOL_SIZE says otherwise', {
  skip: existsSync('/proc/self/task') ? false : 'needs /proc (Linux)',
}, async () => {
  const withDefault = await started({ UV_THREADPOOL_SIZE: undefined });
  const withFour = await started({ UV_THREADPOOL_SIZE: '4' });
  try {
    const expected = Number(threadPoolSize(availableParallelism(), undefined));
    assert.equal(threads(withDefault.child.pid!), threads(withFour.child.pid!) - 4 + expected);
  } finally {
    await Promise.all([stop(withDefault), stop(withFour)]);
  }
});
