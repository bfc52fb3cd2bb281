// The CLI as a user runs it: a child process in an empty directory, on the store and against a
// running admin API.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { followLogs, noteLogText } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

const CLI = resolve('dist/src/cli/launch.cjs');

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
  });
  noteLogText(`${result.stdout}\n${result.stderr}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(cwd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const result = run(cwd, [...args, '--json'], env);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('init, migrate, admin create-key, consumers and keys on the local store', () => {
  const tmp = tempDir();
  try {
    const init = run(tmp.dir, ['init']);
    assert.equal(init.code, 0, init.stderr);
    assert.ok(existsSync(join(tmp.dir, 'portcullis.yaml')));
    assert.match(run(tmp.dir, ['init']).stderr, /--force/);

    const migrate = run(tmp.dir, ['migrate']);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /applied|up to date/);

    const admin = json(tmp.dir, ['admin', 'create-key', '--name', 'ops']);
    assert.match(admin.key, /^pcl_[0-9A-Za-z]{36}$/);
    assert.deepEqual(admin.scopes, ['portcullis:admin']);

    const consumer = json(tmp.dir, ['consumers', 'create', '--name', 'acme', '--scopes', 'orders:read,orders:write', '--metadata', '{"plan":"pro"}']);
    assert.equal(consumer.name, 'acme');
    const limited = json(tmp.dir, ['consumers', 'update', consumer.id, '--rate-limit', '5/1m', '--quota', '3/month']);
    assert.deepEqual([limited.rateLimit, limited.quota], [{ limit: 5, window: '1m' }, { limit: 3, period: 'month' }]);
    assert.equal(json(tmp.dir, ['consumers', 'get', consumer.id]).quotaStatus.remaining, 3);
    assert.equal(json(tmp.dir, ['consumers', 'update', consumer.id, '--rate-limit', 'none']).rateLimit, null);
    assert.match(run(tmp.dir, ['consumers', 'update', consumer.id, '--quota', '3/week']).stderr, /--quota takes LIMIT\/PERIOD/);
    const listed = json(tmp.dir, ['consumers', 'list']);
    assert.ok(listed.items.some((c: { id: string }) => c.id === consumer.id));
    const table = run(tmp.dir, ['consumers', 'list']);
    assert.match(table.stdout, /^ID\s+NAME\s+ENABLED/m);
    assert.match(table.stdout, /acme/);

    const key = json(tmp.dir, ['keys', 'create', consumer.id, '--name', 'ci', '--scopes', 'orders:read']);
    assert.equal(json(tmp.dir, ['keys', 'verify', key.key]).code, 'VALID');
    const denied = run(tmp.dir, ['keys', 'verify', key.key, '--scopes', 'orders:write', '--json']);
    assert.equal(denied.code, 3);
    assert.equal(JSON.parse(denied.stdout).code, 'INSUFFICIENT_SCOPE');

    const listedKeys = json(tmp.dir, ['keys', 'list', consumer.id]);
    assert.equal(listedKeys.items[0].masked, key.masked);
    assert.ok(!JSON.stringify(listedKeys).includes(key.key));

    const rolled = json(tmp.dir, ['keys', 'roll', key.id, '--expire-old-in', '60']);
    assert.notEqual(rolled.key, key.key);
    assert.equal(json(tmp.dir, ['keys', 'update', rolled.id, '--disable']).enabled, false);
    assert.ok(json(tmp.dir, ['keys', 'revoke', rolled.id]).revokedAt);
    const revoked = run(tmp.dir, ['keys', 'verify', rolled.key, '--json']);
    assert.equal(revoked.code, 3, 'a refused key exits with 3');
    assert.equal(JSON.parse(revoked.stdout).code, 'REVOKED');
    assert.equal(json(tmp.dir, ['consumers', 'update', consumer.id, '--disable']).enabled, false);
    assert.equal(json(tmp.dir, ['consumers', 'get', consumer.id]).enabled, false);
    assert.deepEqual(json(tmp.dir, ['consumers', 'delete', consumer.id]), { deleted: consumer.id });

    const usage = json(tmp.dir, ['usage', '--consumer', consumer.id, '--granularity', 'day']);
    assert.equal(usage.total, 0);
    assert.match(run(tmp.dir, ['usage']).stdout, /requests from/);

    const missing = run(tmp.dir, ['consumers', 'get', 'con_0000000000000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /CONSUMER_NOT_FOUND/);
    const badJson = run(tmp.dir, ['consumers', 'create', '--name', 'x', '--metadata', '{nope']);
    assert.match(badJson.stderr, /--metadata must be JSON/);
    const badConfig = run(tmp.dir, ['consumers', 'list', '--config', 'missing.yaml']);
    assert.match(badConfig.stderr, /config file not found.*portcullis init/);
  } finally {
    tmp.remove();
  }
});

test('portcullis --version prints the version of package.json', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const result = run(tmpdir(), [flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
});

test('a time option with a bad value says, in one line, which format it takes', () => {
  const tmp = tempDir();
  try {
    const consumer = json(tmp.dir, ['consumers', 'create', '--name', 'acme']);
    const want = /^portcullis: --expires-at takes an ISO 8601 time with a zone, e\.g\. 2030-01-31T12:00:00Z, or a date, 2030-01-31 \(its start in UTC\); not "(tomorrow|2030-02-30|2030-01-31T12:00:00)"\n$/;
    for (const value of ['tomorrow', '2030-02-30', '2030-01-31T12:00:00']) {
      const refused = run(tmp.dir, ['keys', 'create', consumer.id, '--expires-at', value]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, want, 'one line, no stack trace and no "using" line: nothing was sent');
    }
    assert.equal(json(tmp.dir, ['keys', 'create', consumer.id, '--expires-at', '2030-01-31']).expiresAt, '2030-01-31T00:00:00.000Z');
    assert.equal(json(tmp.dir, ['keys', 'create', consumer.id, '--expires-at', '2030-01-31T23:30:00-05:00']).expiresAt, '2030-02-01T04:30:00.000Z');
    const key = json(tmp.dir, ['keys', 'create', consumer.id]);
    assert.match(run(tmp.dir, ['keys', 'update', key.id, '--expires-at', 'never']).stderr, /^portcullis: --expires-at takes an ISO 8601 time/);
    assert.match(run(tmp.dir, ['usage', '--from', 'yesterday']).stderr, /^portcullis: --from takes an ISO 8601 time/);
    assert.equal(json(tmp.dir, ['usage', '--from', '2030-01-01', '--to', '2030-01-02']).from, '2030-01-01T00:00:00.000Z');
  } finally {
    tmp.remove();
  }
});

test('the CLI works against a running admin API with --url and --admin-key', async () => {
  const tmp = tempDir();
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: tmp.dir,
    env: { ...process.env, PORTCULLIS_ADMIN_PORT: '0', PORTCULLIS_LISTEN_PORT: '0', PORTCULLIS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  followLogs(child.stdout);
  followLogs(child.stderr);
  try {
    let output = '';
    const banner = await new Promise<string>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${output}`)), 20_000);
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (/Admin API reference: \S+/.test(output)) {
          clearTimeout(timer);
          resolvePromise(output);
        }
      });
      child.on('exit', () => reject(new Error(`exited: ${output}`)));
    });
    const adminKey = /PORTCULLIS_ADMIN_KEY=(pcl_\w+)/.exec(banner)![1]!;
    const url = /Admin API reference: (http:\/\/[^/\s]+)/.exec(banner)![1]!;

    // The printed curl line works.
    const curl = /curl -s -X POST (\S+) \\/.exec(banner);
    assert.ok(curl);
    const created = await fetch(curl[1]!, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'acme', metadata: { accountId: 'acct_42', plan: 'pro' }, scopes: ['orders:read'] }),
    });
    assert.equal(created.status, 201);

    const remote = (args: string[], env: NodeJS.ProcessEnv) => run(tmp.dir, [...args, '--json'], env);
    const listed = remote(['consumers', 'list'], { PORTCULLIS_URL: url, PORTCULLIS_ADMIN_KEY: adminKey });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(JSON.parse(listed.stdout).items.some((c: { name: string }) => c.name === 'acme'));
    const flags = remote(['consumers', 'create', '--name', 'via-flags', '--url', url, '--admin-key', adminKey], {});
    assert.equal(flags.code, 0, flags.stderr);

    const wrongKey = run(tmp.dir, ['consumers', 'list', '--url', url, '--admin-key', 'pcl_nope']);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /UNAUTHENTICATED.*--admin-key/);
    const noKey = run(tmp.dir, ['consumers', 'list', '--url', url], { PORTCULLIS_ADMIN_KEY: '' });
    assert.match(noKey.stderr, /admin key is needed/);
    const down = run(tmp.dir, ['consumers', 'list', '--url', 'http://127.0.0.1:9', '--admin-key', adminKey]);
    assert.match(down.stderr, /cannot reach the admin API/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    tmp.remove();
  }
});
