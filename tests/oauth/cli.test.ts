// The OAuth side of the CLI as a user runs it: init writes a master key, clients and signing keys on
// the local store, start refuses to run without a master key outside the demo.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDemoMasterKey, resolveMasterKey } from '../../src/oauth/master-key.js';
import { cli as run } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';

async function json(cwd: string, args: string[]) {
  const result = await run(cwd, [...args, '--json']);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('init writes a config with a master key of its own, readable by the owner only', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    assert.equal((await run(a.dir, ['init'])).code, 0);
    assert.equal((await run(b.dir, ['init'])).code, 0);
    const keyOf = (dir: string) => /^ {2}masterKey: ([A-Za-z0-9_-]{43})\b/m.exec(readFileSync(join(dir, 'portcullis.yaml'), 'utf8'))?.[1];
    assert.ok(keyOf(a.dir));
    assert.notEqual(keyOf(a.dir), keyOf(b.dir));
    assert.equal(statSync(join(a.dir, 'portcullis.yaml')).mode & 0o777, 0o600);
  } finally {
    a.remove();
    b.remove();
  }
});

test('clients, secrets, revoke-tokens and signing keys on the local store', async () => {
  const tmp = tempDir();
  try {
    assert.equal((await run(tmp.dir, ['init'])).code, 0);
    const consumer = await json(tmp.dir, ['consumers', 'create', '--name', 'acme', '--scopes', 'orders:read,orders:write']);
    const created = await run(tmp.dir, [
      'clients',
      'create',
      consumer.id,
      '--name',
      'sync',
      '--scopes',
      'orders:read',
      '--audiences',
      'urn:orders',
      '--token-ttl',
      '600',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Client secret \(shown once, store it now\):\n\n {2}pcs_[0-9A-Za-z]{36}/);
    const clientId = /^clientId\s+(cli_\S+)/m.exec(created.stdout)![1]!;

    const listed = await run(tmp.dir, ['clients', 'list', consumer.id]);
    assert.match(listed.stdout, /^CLIENTID\s+NAME\s+AUTHMETHODS/m);
    assert.match(listed.stdout, new RegExp(`${clientId}\\s+sync\\s+client_secret_basic,client_secret_post\\s`), 'a default client accepts both secret methods');
    assert.deepEqual((await json(tmp.dir, ['clients', 'update', clientId, '--auth-method', 'client_secret_post'])).authMethods, ['client_secret_post']);
    const unpinned = await json(tmp.dir, ['clients', 'update', clientId, '--auth-method', 'client_secret_basic,client_secret_post']);
    assert.deepEqual([unpinned.authMethod, unpinned.authMethods], [null, ['client_secret_basic', 'client_secret_post']]);
    assert.match(
      (await run(tmp.dir, ['clients', 'update', clientId, '--auth-method', 'client_secret_post,private_key_jwt'])).stderr,
      /--auth-method takes one method/,
    );
    const shown = await json(tmp.dir, ['clients', 'get', clientId]);
    assert.deepEqual([shown.tokenTtlSeconds, shown.audiences, shown.scopes], [600, ['urn:orders'], ['orders:read']]);
    assert.equal((await json(tmp.dir, ['clients', 'update', clientId, '--disable'])).enabled, false);

    const rotated = await json(tmp.dir, ['clients', 'rotate-secret', clientId, '--expire-old-in', '60']);
    assert.match(rotated.clientSecret, /^pcs_/);
    assert.ok((await json(tmp.dir, ['clients', 'revoke-tokens', clientId])).tokensRevokedBefore);
    assert.equal((await json(tmp.dir, ['tokens', 'revoke', 'some-jti'])).jti, 'some-jti');

    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    writeFileSync(join(tmp.dir, 'keys.json'), JSON.stringify({ keys: [{ ...jwk, kid: 'k1' }] }));
    const pkj = await json(tmp.dir, ['clients', 'create', consumer.id, '--auth-method', 'private_key_jwt', '--jwks', '@keys.json']);
    assert.equal(pkj.clientSecret, undefined);
    assert.equal(pkj.authMethod, 'private_key_jwt');
    assert.match((await run(tmp.dir, ['clients', 'create', consumer.id, '--scopes', 'admin'])).stderr, /SCOPES_NOT_ALLOWED/);

    const before = await json(tmp.dir, ['signing-keys', 'list']);
    assert.equal(before.items.length, 1);
    assert.equal(before.items[0].state, 'active');
    const rotatedKey = await json(tmp.dir, ['signing-keys', 'rotate']);
    assert.equal(rotatedKey.state, 'pending');
    assert.equal((await json(tmp.dir, ['signing-keys', 'list'])).items.length, 2);

    assert.equal((await json(tmp.dir, ['clients', 'delete', clientId])).deleted, clientId);
  } finally {
    tmp.remove();
  }
});

test('start refuses to run without oauth.masterKey outside the demo', async () => {
  const tmp = tempDir();
  try {
    writeFileSync(join(tmp.dir, 'portcullis.yaml'), 'listen: {port: 0}\nadmin: {port: 0}\n');
    const result = await run(tmp.dir, ['start']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /oauth\.masterKey is required/);
    assert.match(result.stderr, /PORTCULLIS_OAUTH_MASTER_KEY/);
  } finally {
    tmp.remove();
  }
});

test('the demo keeps its master key beside its database with mode 0600, and reuses it', () => {
  const tmp = tempDir();
  try {
    const store = `sqlite:${join(tmp.dir, 'demo', 'portcullis.db')}`;
    const first = resolveMasterKey({ configured: undefined, demo: true, store });
    const second = resolveMasterKey({ configured: undefined, demo: true, store });
    assert.ok(first && second && first.equals(second));
    const path = join(tmp.dir, 'demo', 'master.key');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(tmp.dir, 'demo')).mode & 0o077, 0, 'the directory is private too');
    assert.ok(loadDemoMasterKey(path).equals(first));
    assert.equal(resolveMasterKey({ configured: undefined, demo: false, store }), undefined, 'never a file key outside the demo');
  } finally {
    tmp.remove();
  }
});
