// The command line run in this process, through the same parser as the executable (runCli), in a
// given folder and environment; its output is captured, and its log lines join the run's logs.
// One spawned test per area (tests/cli/cli.test.ts) proves the executable itself.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { noteLogText } from './logs.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The executable as a user starts it. */
export const CLI = resolve('dist/src/cli/launch.cjs');

/** `portcullis …args` in `cwd`, with this process's environment plus `env` (PORTCULLIS_LOG_LEVEL=warn, as a user's shell would not set it otherwise). */
export async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn', ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  noteLogText(`${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

/** The same through the executable, in a child process: for the tests that prove the launcher. */
export function spawnCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn', ...env }, encoding: 'utf8' });
  noteLogText(`${result.stdout}\n${result.stderr}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `portcullis start …args` in this process through the command parser, on ports the system picks: its
 * banner (stderr; its log lines are not wanted) and the running server, handed over to be closed
 * (`onStarted`) instead of waiting for a signal. Fails the test unless the start succeeds.
 */
export async function startInProcess(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ banner: string; close(): Promise<void> }> {
  let banner = '';
  let server: { close(): Promise<void> } | undefined;
  const code = await runCli(['start', ...args], {
    cwd,
    env: {
      ...process.env,
      PORTCULLIS_LISTEN_HOST: '127.0.0.1',
      PORTCULLIS_LISTEN_PORT: '0',
      PORTCULLIS_ADMIN_PORT: '0',
      ...env,
      PORTCULLIS_LOG_LEVEL: 'silent',
    },
    stdout: { write: () => true },
    stderr: { write: (text: string) => (banner += text) },
    onStarted: (running) => {
      server = running;
    },
  });
  noteLogText(banner);
  if (code !== 0 || !server) throw new Error(`portcullis start exited ${code} or handed over no server:\n${banner}`);
  const running = server;
  return { banner, close: () => running.close() };
}
