// `portcullis scan`, in-process: keys and client secrets found with file:line:column and masked,
// git-ignored files and binaries skipped unless --all, zero findings on random text of the key's
// shape, --verify against a running admin API, and the exit codes CI relies on (1 found, 0 none, 2 usage).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKey, hashKey } from '../../src/keys/format.js';
import { findCredentials } from '../../src/leaks/find-keys.js';
import { BASE62_ALPHABET } from '../../src/lib/base62.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { noteSecret } from '../helpers/logs.js';

const PREFIXES = { key: 'pcl', clientSecret: 'pcs' };

describe('portcullis scan', () => {
  let dir: string;
  const key = generateKey('pcl');
  const secret = generateKey('pcs');
  const ignoredKey = generateKey('pcl');
  const binaryKey = generateKey('pcl');

  before(() => {
    noteSecret(key);
    noteSecret(secret);
    dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-'));
    // A git work tree: .gitignore decides what is skipped.
    assert.equal(spawnSync('git', ['init', '-q', dir]).status, 0);
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'src', 'deep', 'config.ts'), `// settings\nexport const x = 1;\nconst apiKey = '${key}';\n`);
    writeFileSync(join(dir, 'README.md'), `client secret: ${secret}\n`);
    writeFileSync(join(dir, '.gitignore'), 'secrets.env\n');
    writeFileSync(join(dir, 'secrets.env'), `PORTCULLIS_KEY=${ignoredKey}\n`);
    writeFileSync(join(dir, 'blob.bin'), Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(` ${binaryKey} `)]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('finds keys and client secrets with file:line:column, masked; git-ignored files and binaries skipped; exit 1', async () => {
    const run = await cli(dir, ['scan', '.']);
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      [
        `README.md:1:16  client-secret  ${secret.slice(0, 8)}…${secret.slice(-4)}`,
        `src/deep/config.ts:3:17  api-key  ${key.slice(0, 8)}…${key.slice(-4)}`,
        '',
      ].join('\n'),
    );
    assert.match(run.stderr, /2 credentials found in 3 files \(1 binary/);
    for (const whole of [key, secret, ignoredKey, binaryKey]) assert.ok(!`${run.stdout}${run.stderr}`.includes(whole), 'never a whole key');
  });

  test('--all includes git-ignored files and binaries; --json gives hashes for POST /admin/v1/keys/leaked', async () => {
    const run = await cli(dir, ['scan', '.', '--all', '--json']);
    assert.equal(run.code, 1);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(out.findings.map((f: any) => [f.file, f.kind, f.hash]).sort(), [
      ['README.md', 'client-secret', hashKey(secret)],
      ['blob.bin', 'api-key', hashKey(binaryKey)],
      ['secrets.env', 'api-key', hashKey(ignoredKey)],
      ['src/deep/config.ts', 'api-key', hashKey(key)],
    ]);
    assert.ok(!run.stdout.includes(key));
  });

  test('a file named on the command line is scanned even when git ignores it', async () => {
    const run = await cli(dir, ['scan', 'secrets.env']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^secrets\.env:1:16 {2}api-key {2}pcl_/);
  });

  test('outside a git work tree every text file is scanned; nothing found: exit 0', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'portcullis-scan-plain-'));
    try {
      writeFileSync(join(plain, 'notes.txt'), `pcl_${'x'.repeat(36)} and ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}\n`);
      const clean = await cli(plain, ['scan', plain]);
      assert.equal(clean.code, 0);
      assert.equal(clean.stdout, '');
      writeFileSync(join(plain, '.gitignore'), 'leak.txt\n');
      writeFileSync(join(plain, 'leak.txt'), key);
      assert.equal((await cli(plain, ['scan', '.'])).code, 1, 'no repository: .gitignore is not consulted');
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2: no path, a path that does not exist, an unknown option', async () => {
    assert.equal((await cli(dir, ['scan'])).code, 2);
    const missing = await cli(dir, ['scan', 'nope']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or folder: nope/);
    assert.equal((await cli(dir, ['scan', '.', '--bogus'])).code, 2);
    assert.equal((await cli(dir, ['scan', '--help'])).code, 0);
  });
});

describe('findCredentials on random text of the key’s shape', () => {
  test('zero findings in 100,000 random candidates; a real key among them is found', () => {
    // Uniform base62 from random bytes (bytes ≥ 248 dropped, so 248 = 4 × 62 keeps every digit equally likely).
    const bytes = randomBytes(100_000 * 40);
    const digits = Buffer.alloc(bytes.length);
    let n = 0;
    for (const b of bytes) if (b < 248) digits[n++] = BASE62_ALPHABET.charCodeAt(b % 62);
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`${i % 2 ? 'pcl' : 'pcs'}_${digits.toString('latin1', i * 36, i * 36 + 36)}`);
    assert.equal(lines.at(-1)!.length, 40);
    assert.deepEqual(findCredentials(lines.join('\n'), PREFIXES), []);
    const real = generateKey('pcl');
    lines.splice(1234, 0, `token: "${real}"`);
    const found = findCredentials(lines.join('\n'), PREFIXES);
    assert.deepEqual(
      found.map((f) => [f.line, f.column, f.value]),
      [[1235, 9, real]],
    );
  });

  test('a key glued to other word characters is not a key (the published \\b…\\b pattern)', () => {
    const real = generateKey('pcl');
    assert.deepEqual(findCredentials(`x${real} ${real}y ${real}_`, PREFIXES), []);
    assert.equal(findCredentials(`"${real}",`, PREFIXES).length, 1);
  });
});

describe('portcullis scan --verify', () => {
  let t: TestApp;
  let url: string;
  let dir: string;
  let live: string;
  let revoked: string;

  before(async () => {
    t = await createTestApp();
    await t.admin.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.admin.server.address() as AddressInfo).port}`;
    const consumer = await t.call('POST', '/admin/v1/consumers', { name: 'acme' });
    const a = await t.call('POST', `/admin/v1/consumers/${consumer.body.id}/keys`, {});
    const b = await t.call('POST', `/admin/v1/consumers/${consumer.body.id}/keys`, {});
    await t.call('POST', `/admin/v1/keys/${b.body.id}/revoke`);
    live = a.body.key;
    revoked = b.body.key;
    dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-verify-'));
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('live keys are marked LIVE and fail the run; revoked or unknown ones alone do not', async () => {
    const unknown = generateKey('pcl');
    writeFileSync(join(dir, 'a.env'), `A=${live}\nB=${revoked}\nC=${unknown}\n`);
    const run = await cli(dir, ['scan', '.', '--verify', '--url', url, '--admin-key', t.adminKey]);
    assert.equal(run.code, 1);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0]!, /^a\.env:1:3 {2}api-key {2}pcl_\S+ {2}LIVE \(VALID\)$/);
    assert.match(lines[1]!, /^a\.env:2:3 {2}api-key {2}pcl_\S+ {2}not live \(REVOKED\)$/);
    assert.match(lines[2]!, /^a\.env:3:3 {2}api-key {2}pcl_\S+ {2}not live \(NOT_FOUND\)$/);

    writeFileSync(join(dir, 'a.env'), `B=${revoked}\nC=${unknown}\n`);
    const json = await cli(dir, ['scan', 'a.env', '--verify', '--json', '--url', url, '--admin-key', t.adminKey]);
    assert.equal(json.code, 0);
    assert.deepEqual(
      JSON.parse(json.stdout).findings.map((f: any) => [f.code, f.live]),
      [
        ['REVOKED', false],
        ['NOT_FOUND', false],
      ],
    );
  });

  test('--verify without an admin key is a usage error', async () => {
    writeFileSync(join(dir, 'a.env'), `A=${live}\n`);
    const run = await cli(dir, ['scan', '.', '--verify', '--url', url], { PORTCULLIS_ADMIN_KEY: '' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /admin key/);
  });
});
