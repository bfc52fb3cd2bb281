// `portcullis start` as a user meets it: a start that fails (a port in use, a bad store) exits
// non-zero in every mode and uses up no key, so the next start that succeeds still prints them; a
// later start says how to make another admin key, with a command that runs as printed; the banner
// goes to stderr in one block and stdout carries only log lines. The starts and printed commands run
// in this process through the command parser (runCli, which the executable runs:
// tests/cli/cli.test.ts), a successful one handing its server over to be closed (`onStarted`); the
// banner-and-logs test runs the executable in a child process, as a user does, until SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { startPortcullis } from '../../src/server/start.js';
import { type CliResult, cli, startInProcess } from '../helpers/cli.js';
import { followLogs, noteSecret, testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

const CLI = resolve('dist/src/cli/launch.cjs');
/** A guard against a hang, not a timing: a start fails or prints its banner long before this. */
const EXIT_BOUND_MS = 30_000;

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

function spawnStart(cwd: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [CLI, 'start', ...args], {
    cwd,
    // One worker where a config file makes `start` a supervisor (the workers' own tests are in tests/server/workers.test.ts).
    env: {
      ...process.env,
      PORTCULLIS_LISTEN_HOST: '127.0.0.1',
      PORTCULLIS_LISTEN_PORT: '0',
      PORTCULLIS_ADMIN_PORT: '0',
      PORTCULLIS_LOG_LEVEL: 'info',
      PORTCULLIS_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  followLogs(child.stdout);
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** `portcullis start` that must fail, in this process, with the environment spawnStart gives; its log lines are not wanted. */
function failedStart(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return cli(cwd, ['start', ...args], {
    PORTCULLIS_LISTEN_HOST: '127.0.0.1',
    PORTCULLIS_LISTEN_PORT: '0',
    PORTCULLIS_ADMIN_PORT: '0',
    PORTCULLIS_WORKERS: '1',
    ...env,
    PORTCULLIS_LOG_LEVEL: 'silent',
  });
}

/** A start that succeeds, in this process (the helper's); the keys its banner prints are noted as secrets. */
async function goodStart(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ banner: string; close(): Promise<void> }> {
  const started = await startInProcess(cwd, args, env);
  noteKeys(started.banner);
  return started;
}

/** Resolves once `ready` holds (checked on every chunk of output); rejects if the CLI exits first or not in time. */
function until({ child, stdout, stderr }: Started, ready: () => boolean): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${EXIT_BOUND_MS} ms:\n${stdout()}\n${stderr()}`)), EXIT_BOUND_MS);
    const check = () => {
      if (!ready()) return;
      clearTimeout(timer);
      resolvePromise();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the CLI exited (${code}) before it was ready:\n${stdout()}\n${stderr()}`));
    });
    check();
  });
}

/** stderr once it holds the banner up to its last line, `done`. */
async function banner(started: Started, done: RegExp): Promise<string> {
  await until(started, () => done.test(started.stderr()));
  return started.stderr();
}

async function stop({ child }: Started): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** A port some other program holds. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

/**
 * Runs a printed `npx portcullis …` line: the shell reads its words back (quotes and all), and
 * they run through the command parser; the new key it prints, or an assertion failure.
 */
async function runsAsPrinted(cwd: string, command: string): Promise<string> {
  const shell = spawnSync('sh', ['-c', command.replace(/^npx portcullis/, "printf '%s\\0'")], { encoding: 'utf8' });
  assert.equal(shell.status, 0, `${command}: ${shell.stderr}`);
  const words = shell.stdout.split('\0').slice(0, -1);
  const run = await cli(cwd, words);
  assert.equal(run.code, 0, `${command}: ${run.stderr}`);
  const created = /^ {2}(pcl_[0-9A-Za-z]{36})$/m.exec(run.stdout)?.[1];
  noteSecret(created);
  return created ?? assert.fail(`${command} printed no key:\n${run.stdout}`);
}

const ADMIN_KEY = /PORTCULLIS_ADMIN_KEY=(pcl_[0-9A-Za-z]{36})/;
const DEMO_KEY = /PORTCULLIS_DEMO_KEY=(pcl_[0-9A-Za-z]{36})/;

function noteKeys(text: string): void {
  noteSecret(ADMIN_KEY.exec(text)?.[1], DEMO_KEY.exec(text)?.[1]);
}

describe('a start that fails exits non-zero and uses up no key', () => {
  let busy: { port: number; server: Server };
  before(async () => {
    busy = await occupiedPort();
  });
  after(() => new Promise<void>((r) => busy.server.close(() => r())));

  test('demo: the public port in use (the echo upstream already listening), then the admin port; the next start prints both keys', async () => {
    const tmp = tempDir();
    try {
      for (const env of [{ PORTCULLIS_LISTEN_PORT: String(busy.port) }, { PORTCULLIS_ADMIN_PORT: String(busy.port) }]) {
        const failed = await failedStart(tmp.dir, [], env);
        assert.notEqual(failed.code, 0);
        assert.match(failed.stderr, /EADDRINUSE/);
        assert.doesNotMatch(failed.stderr, ADMIN_KEY);
      }
      const good = await goodStart(tmp.dir, [], {});
      await good.close();
      assert.match(good.banner, ADMIN_KEY);
      assert.match(good.banner, DEMO_KEY);

      // A later start: each command it prints for another key runs as printed.
      const later = await goodStart(tmp.dir, [], {});
      await later.close();
      assert.doesNotMatch(later.banner, ADMIN_KEY);
      const commands = [...later.banner.matchAll(/^ {2}(npx portcullis .*)$/gm)].map((match) => match[1]!);
      assert.equal(commands.length, 2, commands.join('\n'));
      for (const command of commands) assert.ok(await runsAsPrinted(tmp.dir, command), command);
    } finally {
      tmp.remove();
    }
  });

  test('with a config: the public port in use, then a later start names the command that makes another admin key, which runs as printed', async () => {
    const tmp = tempDir();
    try {
      const configPath = join(tmp.dir, 'gateway config.yaml');
      writeFileSync(configPath, `store: sqlite:${join(tmp.dir, 'p.db')}\noauth: { masterKey: ${generateMasterKey()} }\n`);
      const failed = await failedStart(tmp.dir, ['--config', configPath], { PORTCULLIS_LISTEN_PORT: String(busy.port) });
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /EADDRINUSE/);

      const first = await goodStart(tmp.dir, ['--config', configPath], {});
      await first.close();
      assert.match(first.banner, ADMIN_KEY);

      const later = await goodStart(tmp.dir, ['--config', configPath], {});
      await later.close();
      assert.doesNotMatch(later.banner, ADMIN_KEY);
      const command = /^ {2}(npx portcullis admin create-key.*)$/m.exec(later.banner)?.[1] ?? assert.fail(`no create-key command in:\n${later.banner}`);
      assert.ok(await runsAsPrinted(tmp.dir, command));
    } finally {
      tmp.remove();
    }
  });

  test('a store that cannot be reached, or whose signing keys another master key sealed (with Redis retrying), exits non-zero; a good start prints the admin key', async () => {
    const tmp = tempDir();
    try {
      const masterKey = generateMasterKey();
      const failed = await failedStart(tmp.dir, [], {
        PORTCULLIS_STORE: 'postgres://postgres@127.0.0.1:1/portcullis',
        PORTCULLIS_STORE_TIMEOUT: '500ms',
        PORTCULLIS_OAUTH_MASTER_KEY: masterKey,
      });
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /^portcullis: /m);

      const good = await goodStart(tmp.dir, [], { PORTCULLIS_STORE: `sqlite:${join(tmp.dir, 'p.db')}`, PORTCULLIS_OAUTH_MASTER_KEY: masterKey });
      await good.close();
      assert.match(good.banner, ADMIN_KEY);

      const otherKey = await failedStart(tmp.dir, [], {
        PORTCULLIS_STORE: `sqlite:${join(tmp.dir, 'p.db')}`,
        PORTCULLIS_OAUTH_MASTER_KEY: generateMasterKey(),
        PORTCULLIS_REDIS: 'redis://127.0.0.1:1',
      });
      assert.notEqual(otherKey.code, 0);
      assert.match(otherKey.stderr, /masterKey/);
    } finally {
      tmp.remove();
    }
  });
});

test('the banner is one block on stderr; stdout carries only JSON log lines', async () => {
  const tmp = tempDir();
  const started = spawnStart(tmp.dir, [], {});
  try {
    const text = await banner(started, /^Metrics: .*\n$/m);
    await until(started, () => started.stdout().includes('"msg":"portcullis started"'));
    noteKeys(text);
    assert.ok(text.startsWith('\nPortcullis is running.'), text);
    assert.ok(text.endsWith('(with the admin key)\n'), text);
    assert.doesNotMatch(text, /"level":/);
    const logLines = started.stdout().split('\n').filter(Boolean);
    assert.ok(
      logLines.some((line) => JSON.parse(line).msg === 'portcullis started'),
      started.stdout(),
    );
    for (const line of logLines) assert.doesNotThrow(() => JSON.parse(line), line);
  } finally {
    await stop(started);
    tmp.remove();
  }
});

test('in process: a start whose public port is taken creates neither key; the next start returns both', async () => {
  const tmp = tempDir();
  const busy = await occupiedPort();
  try {
    const config = (port: number) =>
      validateConfig({ store: `sqlite:${join(tmp.dir, 'p.db')}`, listen: { host: '127.0.0.1', port }, admin: { port: 0 } }, 'test');
    const start = (port: number) => startPortcullis({ loaded: { config: config(port), path: null, demo: true }, logger: testLogger(), print: () => {} });
    await assert.rejects(start(busy.port), { code: 'EADDRINUSE' });
    const running = await start(0);
    try {
      noteSecret(running.firstAdminKey, running.demo?.key);
      assert.ok(running.firstAdminKey, 'the first admin key is created by the start that succeeds');
      assert.ok(running.demo?.key, 'and so is the demo key');
      // listen.port 0: the issuer, the token URL and the portal's links name the port bound, not :0.
      assert.match(running.gatewayUrl, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      assert.equal(running.app.oauth.settings.issuer, running.gatewayUrl);
      assert.equal(running.app.oauth.settings.tokenEndpoint, `${running.gatewayUrl}/oauth/token`);
      assert.equal(running.app.portal.publicUrl, running.gatewayUrl);
      const link = await running.app.members.createOperatorSignInLink('port-zero@example.com', { id: 'test', sourceIp: null });
      assert.ok(link.url.startsWith(`${running.gatewayUrl}/portal/sign-in-link#token=`), link.url);
      const metadata = await fetch(`${running.gatewayUrl}/.well-known/oauth-authorization-server`);
      assert.equal(((await metadata.json()) as { issuer: string }).issuer, running.gatewayUrl);
    } finally {
      await running.close();
    }
  } finally {
    await new Promise<void>((r) => busy.server.close(() => r()));
    tmp.remove();
  }
});
