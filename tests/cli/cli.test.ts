// The CLI as a user runs it, in an empty directory, on the store and against a running admin API:
// in this process through the command parser, and through the executable (launch.cjs) once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli as run, spawnCli, startInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';

async function json(cwd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const result = await run(cwd, [...args, '--json'], env);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('init, migrate, admin create-key, consumers and keys on the local store', async () => {
  const tmp = tempDir();
  try {
    const init = await run(tmp.dir, ['init']);
    assert.equal(init.code, 0, init.stderr);
    assert.ok(existsSync(join(tmp.dir, 'portcullis.yaml')));
    assert.match((await run(tmp.dir, ['init'])).stderr, /--force/);

    const migrate = await run(tmp.dir, ['migrate']);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /applied|up to date/);

    const admin = await json(tmp.dir, ['admin', 'create-key', '--name', 'ops']);
    assert.match(admin.key, /^pcl_[0-9A-Za-z]{36}$/);
    assert.deepEqual(admin.scopes, ['portcullis:admin']);

    const consumer = await json(tmp.dir, ['consumers', 'create', '--name', 'acme', '--scopes', 'orders:read,orders:write', '--metadata', '{"plan":"pro"}']);
    assert.equal(consumer.name, 'acme');
    const limited = await json(tmp.dir, ['consumers', 'update', consumer.id, '--rate-limit', '5/1m', '--quota', '3/month']);
    assert.deepEqual(
      [limited.rateLimit, limited.quota],
      [
        { limit: 5, window: '1m' },
        { limit: 3, period: 'month' },
      ],
    );
    assert.equal((await json(tmp.dir, ['consumers', 'get', consumer.id])).quotaStatus.remaining, 3);
    assert.equal((await json(tmp.dir, ['consumers', 'update', consumer.id, '--rate-limit', 'none'])).rateLimit, null);
    assert.match((await run(tmp.dir, ['consumers', 'update', consumer.id, '--quota', '3/week'])).stderr, /--quota takes LIMIT\/PERIOD/);
    const listed = await json(tmp.dir, ['consumers', 'list']);
    assert.ok(listed.items.some((c: { id: string }) => c.id === consumer.id));
    const table = await run(tmp.dir, ['consumers', 'list']);
    assert.match(table.stdout, /^ID\s+NAME\s+ENABLED/m);
    assert.match(table.stdout, /acme/);

    const key = await json(tmp.dir, ['keys', 'create', consumer.id, '--name', 'ci', '--scopes', 'orders:read']);
    assert.equal((await json(tmp.dir, ['keys', 'verify', key.key])).code, 'VALID');
    const denied = await run(tmp.dir, ['keys', 'verify', key.key, '--scopes', 'orders:write', '--json']);
    assert.equal(denied.code, 3);
    assert.equal(JSON.parse(denied.stdout).code, 'INSUFFICIENT_SCOPE');

    const listedKeys = await json(tmp.dir, ['keys', 'list', consumer.id]);
    assert.equal(listedKeys.items[0].masked, key.masked);
    assert.ok(!JSON.stringify(listedKeys).includes(key.key));

    const rolled = await json(tmp.dir, ['keys', 'roll', key.id, '--expire-old-in', '60']);
    assert.notEqual(rolled.key, key.key);
    assert.equal((await json(tmp.dir, ['keys', 'update', rolled.id, '--disable'])).enabled, false);
    assert.ok((await json(tmp.dir, ['keys', 'revoke', rolled.id])).revokedAt);
    const revoked = await run(tmp.dir, ['keys', 'verify', rolled.key, '--json']);
    assert.equal(revoked.code, 3, 'a refused key exits with 3');
    assert.equal(JSON.parse(revoked.stdout).code, 'REVOKED');
    assert.equal((await json(tmp.dir, ['consumers', 'update', consumer.id, '--disable'])).enabled, false);
    assert.equal((await json(tmp.dir, ['consumers', 'get', consumer.id])).enabled, false);
    assert.deepEqual(await json(tmp.dir, ['consumers', 'delete', consumer.id]), { deleted: consumer.id });

    const usage = await json(tmp.dir, ['usage', '--consumer', consumer.id, '--granularity', 'day']);
    assert.equal(usage.total, 0);
    assert.match((await run(tmp.dir, ['usage'])).stdout, /requests from/);

    assert.equal((await run(tmp.dir, ['consumers', 'create', '--name', 'acme'])).code, 0);
    const missing = await run(tmp.dir, ['consumers', 'get', 'con_0000000000000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /CONSUMER_NOT_FOUND/);
    const badJson = await run(tmp.dir, ['consumers', 'create', '--name', 'x', '--metadata', '{nope']);
    assert.match(badJson.stderr, /--metadata must be JSON/);
    const badConfig = await run(tmp.dir, ['consumers', 'list', '--config', 'missing.yaml']);
    assert.match(badConfig.stderr, /config file not found.*portcullis init/);
  } finally {
    tmp.remove();
  }
});

test('portcullis --version prints the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const result = await run(tmpdir(), [flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
});

test('runCli works in the folder and environment it is given and leaves the process as it was', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    const before = { cwd: process.cwd(), exitCode: process.exitCode, store: process.env.PORTCULLIS_STORE, localStore: existsSync('.portcullis') };
    await json(a.dir, ['consumers', 'create', '--name', 'in-a']);
    assert.ok(existsSync(join(a.dir, '.portcullis', 'portcullis.db')), 'the store is made in the folder given');
    const refused = await run(a.dir, ['keys', 'verify', 'pcl_000000000000000000000000000000000000', '--json']);
    assert.equal(refused.code, 3);

    assert.equal((await run(b.dir, ['consumers', 'list'])).code, 1, 'another folder: no store there');
    const viaEnv = await json(b.dir, ['consumers', 'list'], { PORTCULLIS_STORE: `sqlite:${join(a.dir, '.portcullis', 'portcullis.db')}` });
    assert.equal(viaEnv.items[0].name, 'in-a', 'the environment given is the one read');
    const remote = await run(b.dir, ['consumers', 'list'], { PORTCULLIS_URL: 'http://127.0.0.1:9', PORTCULLIS_ADMIN_KEY: 'pcl_unused' });
    assert.match(remote.stderr, /cannot reach the admin API at http:\/\/127\.0\.0\.1:9/, 'PORTCULLIS_URL of the given environment');

    assert.deepEqual(
      { cwd: process.cwd(), exitCode: process.exitCode, store: process.env.PORTCULLIS_STORE, localStore: existsSync('.portcullis') },
      before,
      'no change of folder, exit code or environment of the process',
    );
  } finally {
    a.remove();
    b.remove();
  }
});

test('the executable (launch.cjs) runs the command line: its version, a store command, its exit code', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.deepEqual(spawnCli(tmpdir(), ['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });
  const tmp = tempDir();
  try {
    const created = spawnCli(tmp.dir, ['consumers', 'create', '--name', 'acme', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /^creating a Portcullis store at sqlite:\.\/\.portcullis\/portcullis\.db \(/);
    assert.equal(JSON.parse(created.stdout).name, 'acme');
    // The process ends with the code runCli returns (the other codes: runCli's own tests, below).
    const refused = spawnCli(tmp.dir, ['keys', 'verify', 'pcl_000000000000000000000000000000000000', '--json']);
    assert.equal(refused.code, 3, 'a refused key exits with 3');
    assert.equal(JSON.parse(refused.stdout).valid, false);
  } finally {
    tmp.remove();
  }
});

test('exit codes: a failed command and a usage error exit with 1, with one line on stderr', async () => {
  const tmp = tempDir();
  try {
    assert.equal((await run(tmp.dir, ['consumers', 'create', '--name', 'acme'])).code, 0);
    const missing = await run(tmp.dir, ['consumers', 'get', 'con_0000000000000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^portcullis: .*\[CONSUMER_NOT_FOUND\]\n$/m);
    const usage = await run(tmp.dir, ['consumers', 'lsit']);
    assert.equal(usage.code, 1, 'a usage error exits with 1');
    assert.match(usage.stderr, /unknown command 'lsit'/);
  } finally {
    tmp.remove();
  }
});

test('a time option with a bad value says, in one line, which format it takes', async () => {
  const tmp = tempDir();
  try {
    const consumer = await json(tmp.dir, ['consumers', 'create', '--name', 'acme']);
    const want =
      /^portcullis: --expires-at takes an ISO 8601 time with a zone, e\.g\. 2030-01-31T12:00:00Z, or a date, 2030-01-31 \(its start in UTC\); not "(tomorrow|2030-02-30|2030-01-31T12:00:00)"\n$/;
    for (const value of ['tomorrow', '2030-02-30', '2030-01-31T12:00:00']) {
      const refused = await run(tmp.dir, ['keys', 'create', consumer.id, '--expires-at', value]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, want, 'one line, no stack trace and no "using" line: nothing was sent');
    }
    assert.equal((await json(tmp.dir, ['keys', 'create', consumer.id, '--expires-at', '2030-01-31'])).expiresAt, '2030-01-31T00:00:00.000Z');
    assert.equal((await json(tmp.dir, ['keys', 'create', consumer.id, '--expires-at', '2030-01-31T23:30:00-05:00'])).expiresAt, '2030-02-01T04:30:00.000Z');
    const key = await json(tmp.dir, ['keys', 'create', consumer.id]);
    assert.match((await run(tmp.dir, ['keys', 'update', key.id, '--expires-at', 'never'])).stderr, /^portcullis: --expires-at takes an ISO 8601 time/);
    assert.match((await run(tmp.dir, ['usage', '--from', 'yesterday'])).stderr, /^portcullis: --from takes an ISO 8601 time/);
    assert.equal((await json(tmp.dir, ['usage', '--from', '2030-01-01', '--to', '2030-01-02'])).from, '2030-01-01T00:00:00.000Z');
  } finally {
    tmp.remove();
  }
});

test('the CLI works against a running admin API with --url and --admin-key', async () => {
  const tmp = tempDir();
  // `start` in this process, handing its server over to be closed (the executable's start: tests/server/first-start.test.ts).
  const { banner, close } = await startInProcess(tmp.dir);
  try {
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
    const listed = await remote(['consumers', 'list'], { PORTCULLIS_URL: url, PORTCULLIS_ADMIN_KEY: adminKey });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(JSON.parse(listed.stdout).items.some((c: { name: string }) => c.name === 'acme'));
    const flags = await remote(['consumers', 'create', '--name', 'via-flags', '--url', url, '--admin-key', adminKey], {});
    assert.equal(flags.code, 0, flags.stderr);

    const wrongKey = await run(tmp.dir, ['consumers', 'list', '--url', url, '--admin-key', 'pcl_nope']);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /UNAUTHENTICATED.*--admin-key/);
    const noKey = await run(tmp.dir, ['consumers', 'list', '--url', url], { PORTCULLIS_ADMIN_KEY: '' });
    assert.match(noKey.stderr, /admin key is needed/);
    const down = await run(tmp.dir, ['consumers', 'list', '--url', 'http://127.0.0.1:9', '--admin-key', adminKey]);
    assert.match(down.stderr, /cannot reach the admin API/);
  } finally {
    await close();
    tmp.remove();
  }
});
