// Import from another system, end to end on each store: the admin route and the service the CLI runs,
// JSON and CSV, run twice (nothing is created the second time), refused rows with their row numbers,
// a foreign key (given as plaintext or as its SHA-256) that then verifies — and revokes, rolls,
// expires and records its last use — and client secrets given as SHA-256 or bcrypt that then get a
// token. The CLI and the gateway have their own describes below, on SQLite.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { IMPORT_BODY_LIMIT } from '../../src/admin/import-schemas.js';
import { runCli } from '../../src/cli/main.js';
import { progressBar } from '../../src/cli/progress.js';
import { newConsumerRecord } from '../../src/consumers/service.js';
import { rowsOfCsv } from '../../src/imports/csv.js';
import { createForeignKeyPresence } from '../../src/keys/foreign.js';
import { isWellFormedKey } from '../../src/keys/format.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { startHarness, startUpstream } from '../gateway/helpers.js';
import { createTestApp } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { noteSecret } from '../helpers/logs.js';
import { storeAdapters, tempDir } from '../helpers/stores.js';
import { basic, createOAuthHarness, type OAuthHarness } from '../oauth/helpers.js';

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

// Keys and secrets of "another system": none has our prefix and checksum.
const UNKEY_KEY = 'uk_3ZtQ9pLmW2xVbN7cRfHs8kJd';
const KONG_KEY = 'kong-2f1d6c0a9b8e47f3a5d4c3b2a1f0e9d8';
const PLAIN_KEY = 'legacy.Xr7Kq2Lw9Pz4Mn8Bv3Cx';
const SHA_SECRET = 'auth0-like-client-secret-Qp9Zr2Lk7';
const BCRYPT_SECRET = 'hydra-like-client-secret-Wm4Tn8Hy3';
noteSecret(UNKEY_KEY, KONG_KEY, PLAIN_KEY, SHA_SECRET, BCRYPT_SECRET);

function records(suffix: string) {
  return [
    { type: 'consumer', externalId: `acme-${suffix}`, name: `Acme ${suffix}`, scopes: ['orders:read', 'orders:write'], metadata: { plan: 'pro' } },
    {
      type: 'key',
      externalId: `unkey-${suffix}`,
      consumer: `acme-${suffix}`,
      name: 'from unkey',
      sha256: sha256Base64(`${UNKEY_KEY}${suffix}`),
      start: 'uk_3Z',
    },
    { type: 'key', externalId: `kong-${suffix}`, consumer: `acme-${suffix}`, sha256: sha256Hex(`${KONG_KEY}${suffix}`), scopes: ['orders:read'] },
    {
      type: 'key',
      externalId: `plain-${suffix}`,
      consumer: `acme-${suffix}`,
      key: `${PLAIN_KEY}${suffix}`,
      metadata: { from: 'legacy' },
    },
    { type: 'key', externalId: `lost-${suffix}`, consumer: 'nobody', key: `${PLAIN_KEY}${suffix}-x` },
    { type: 'key', externalId: `wide-${suffix}`, consumer: `acme-${suffix}`, key: `${PLAIN_KEY}${suffix}-w`, scopes: ['admin:all'] },
    { type: 'consumer', externalId: `fenced-${suffix}`, name: `Fenced ${suffix}`, allowedIps: ['10.0.0.0/33'] },
    { type: 'key', externalId: `unkey-${suffix}`, consumer: `acme-${suffix}`, key: `${PLAIN_KEY}${suffix}-d` },
    { type: 'client', externalId: `auth0-${suffix}`, consumer: `acme-${suffix}`, secretSha256: sha256Hex(`${SHA_SECRET}${suffix}`), scopes: ['orders:read'] },
    { type: 'client', externalId: `hydra-${suffix}`, consumer: `acme-${suffix}`, secretBcrypt: bcrypt.hashSync(`${BCRYPT_SECRET}${suffix}`, 4) },
    { type: 'key', externalId: `both-${suffix}`, consumer: `acme-${suffix}`, key: `${PLAIN_KEY}${suffix}-b`, sha256: sha256Hex('x') },
  ];
}

/** The outcome of each row: `created`, `skipped` or `refused:<code>`. */
const outcomesOf = (report: any) => report.outcomes.map((o: any) => (o.outcome === 'refused' ? `${o.row}:refused:${o.code}` : `${o.row}:${o.outcome}`));

for (const adapter of storeAdapters) {
  describe(`import from another system (${adapter.name})`, { skip: adapter.skip }, () => {
    let h: OAuthHarness;
    before(async () => {
      h = await createOAuthHarness({ adapter });
    });
    after(async () => {
      await h?.close();
    });

    it('imports over the admin API, refuses bad rows with their row numbers, and creates nothing the second time', async () => {
      const garbage = 'not-a-portcullis-key-but-long-enough';
      const queries = h.app.store.stats.queries;
      assert.equal((await h.app.verifyKey(garbage)).code, 'MALFORMED');
      assert.equal(h.app.store.stats.queries, queries, 'without foreign keys, a credential not of our format is no query');

      const dry = await h.call('POST', '/admin/v1/imports?dryRun=true', { records: records('a') });
      assert.equal(dry.status, 200);
      assert.equal(dry.body.dryRun, true);
      assert.deepEqual(dry.body.created, { consumers: 1, keys: 3, clients: 2 });
      assert.equal((await h.call('GET', '/admin/v1/audit-events?action=consumer.imported')).body.items.length, 0, 'a dry run writes nothing');

      const first = await h.call('POST', '/admin/v1/imports', { records: records('a') });
      assert.equal(first.status, 200);
      assert.deepEqual(first.body.created, { consumers: 1, keys: 3, clients: 2 });
      assert.deepEqual(first.body.skipped, { consumers: 0, keys: 0, clients: 0 });
      assert.equal(first.body.refused, 5);
      assert.deepEqual(outcomesOf(first.body), [
        '1:created',
        '2:created',
        '3:created',
        '4:created',
        '5:refused:CONSUMER_NOT_FOUND',
        '6:refused:SCOPES_NOT_ALLOWED',
        '7:refused:IP_ALLOWLIST_INVALID',
        '8:refused:DUPLICATE_IN_FILE',
        '9:created',
        '10:created',
        '11:refused:VALIDATION_FAILED',
      ]);
      assert.deepEqual(outcomesOf(dry.body), outcomesOf(first.body));

      const second = await h.call('POST', '/admin/v1/imports', { records: records('a') });
      assert.deepEqual(second.body.created, { consumers: 0, keys: 0, clients: 0 });
      assert.deepEqual(second.body.skipped, { consumers: 1, keys: 3, clients: 2 });
      assert.equal(second.body.refused, 5);
      for (const row of [1, 2, 3, 4, 9, 10]) assert.equal(second.body.outcomes[row - 1].id, first.body.outcomes[row - 1].id);

      // Every created object has one audit event, by the admin key, with no hash or secret in it.
      const events = (await h.call('GET', '/admin/v1/audit-events?action=key.imported')).body.items;
      assert.equal(events.length, 3);
      const adminKeyId = (await h.app.verifyKey(h.adminKey)).keyId;
      for (const event of events) assert.equal(event.actor, adminKeyId);
      const trail = JSON.stringify((await h.call('GET', '/admin/v1/audit-events?limit=200')).body);
      for (const secretOrHash of [sha256Hex(`${KONG_KEY}a`), sha256Base64(`${UNKEY_KEY}a`), `${PLAIN_KEY}a`, sha256Hex(`${SHA_SECRET}a`)]) {
        assert.ok(!trail.includes(secretOrHash));
        assert.ok(!h.logs.join('').includes(secretOrHash));
      }
    });

    it('a foreign key verifies as it is, masked in listings; revoke, roll, expiry and last use work on it', async () => {
      const imported = await h.call('POST', '/admin/v1/imports', {
        records: [
          { type: 'consumer', externalId: 'beta', name: 'Beta', scopes: ['orders:read'] },
          { type: 'key', externalId: 'beta-unkey', consumer: 'beta', sha256: sha256Base64(UNKEY_KEY), start: 'uk_3Z' },
          { type: 'key', externalId: 'beta-kong', consumer: 'beta', key: KONG_KEY },
          {
            type: 'key',
            externalId: 'beta-old',
            consumer: 'beta',
            key: PLAIN_KEY,
            expiresAt: '2020-01-01T00:00:00Z',
            allowedIps: ['10.1.2.3', '2001:0db8::/32'],
          },
        ],
      });
      const [consumerId, unkeyId, kongId] = imported.body.outcomes.map((o: any) => o.id);
      assert.equal(h.app.foreignKeys.present, true);

      const unkey = await h.app.verifyKey(UNKEY_KEY, { scopes: ['orders:read'] });
      assert.equal(unkey.code, 'VALID');
      assert.equal(unkey.keyId, unkeyId);
      assert.equal(unkey.consumer?.id, consumerId);
      assert.equal((await h.app.verifyKey(PLAIN_KEY)).code, 'EXPIRED');
      assert.equal((await h.app.verifyKey(`${KONG_KEY}z`)).code, 'NOT_FOUND');
      const queries = h.app.store.stats.queries;
      assert.equal((await h.app.verifyKey(`${KONG_KEY}z`)).code, 'NOT_FOUND');
      assert.equal(h.app.store.stats.queries, queries, 'an unknown foreign credential is remembered by the negative cache');
      assert.equal((await h.app.verifyKey('short')).code, 'MALFORMED');

      const listed = (await h.call('GET', `/admin/v1/consumers/${consumerId}/keys`)).body.items;
      assert.deepEqual(listed.map((k: any) => k.masked).sort(), ['kong-2f1…e9d8', 'legacy…', 'uk_3Z…']);
      // An imported allowlist is kept, normalised like one given to the admin API.
      assert.deepEqual(listed.find((k: any) => k.masked === 'legacy…').allowedIps, ['10.1.2.3', '2001:db8::/32']);

      // Last use is recorded like ours.
      await h.app.lastUsed.flush();
      assert.equal((await h.call('GET', `/admin/v1/keys/${unkeyId}`)).body.lastUsedAt, new Date(h.clock.now()).toISOString());

      // A roll issues a key of our format; the foreign one lasts for the overlap.
      const rolled = await h.call('POST', `/admin/v1/keys/${kongId}/roll`, { expireOldInSeconds: 60 });
      assert.equal(rolled.status, 201);
      assert.ok(isWellFormedKey(rolled.body.key, 'pcl'));
      assert.equal((await h.app.verifyKey(rolled.body.key)).code, 'VALID');
      assert.equal((await h.app.verifyKey(KONG_KEY)).code, 'VALID');
      h.clock.advance(61_000);
      assert.equal((await h.app.verifyKey(KONG_KEY)).code, 'EXPIRED');

      assert.equal((await h.call('POST', `/admin/v1/keys/${unkeyId}/revoke`)).status, 200);
      assert.equal((await h.app.verifyKey(UNKEY_KEY)).code, 'REVOKED');
    });

    it('imported client secrets (SHA-256, bcrypt) get tokens; a bcrypt secret is stored as SHA-256 once it matched', async () => {
      const imported = await h.call('POST', '/admin/v1/imports', {
        records: [
          { type: 'consumer', externalId: 'gamma', name: 'Gamma', scopes: ['orders:read'] },
          { type: 'client', externalId: 'gamma-auth0', consumer: 'gamma', secretSha256: sha256Hex(SHA_SECRET) },
          { type: 'client', externalId: 'gamma-hydra', consumer: 'gamma', secretBcrypt: bcrypt.hashSync(BCRYPT_SECRET, 4) },
        ],
      });
      const [, shaClient, bcryptClient] = imported.body.outcomes.map((o: any) => o.id);
      assert.ok(await h.tokenFor({ clientId: shaClient, clientSecret: SHA_SECRET }));
      const wrong = await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(bcryptClient, `${BCRYPT_SECRET}x`) });
      assert.equal(wrong.status, 401);
      assert.ok(await h.tokenFor({ clientId: bcryptClient, clientSecret: BCRYPT_SECRET }));
      const [secret] = await h.app.store.listClientSecrets(bcryptClient);
      assert.equal(secret!.hash, sha256Hex(BCRYPT_SECRET));
      const post = await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: bcryptClient, client_secret: BCRYPT_SECRET });
      assert.equal(post.status, 200);
    });

    it('reads CSV into the same records (the CLI’s path on the store), idempotently', async () => {
      const csv = [
        'type,externalId,consumer,name,scopes,metadata,key,sha256,secretSha256,enabled',
        'consumer,delta,,Delta,orders:read orders:write,"{""plan"":""free""}",,,,',
        `key,delta-1,delta,first,orders:read,,${PLAIN_KEY}-delta,,,true`,
        `key,delta-2,delta,second,,,,${sha256Hex(`${KONG_KEY}-delta`)},,false`,
        `client,delta-c,delta,,,,,,${sha256Hex(`${SHA_SECRET}-delta`)},`,
        'key,delta-3,delta,,,not json,,,,',
      ].join('\n');
      const actor = { id: 'cli:local', sourceIp: null };
      const first = await h.app.imports.run(rowsOfCsv(csv), { actor });
      assert.deepEqual(first.created, { consumers: 1, keys: 2, clients: 1 });
      assert.deepEqual(
        first.outcomes.map((o) => [o.row, o.outcome]),
        [
          [2, 'created'],
          [3, 'created'],
          [4, 'created'],
          [5, 'created'],
          [6, 'refused'],
        ],
      );
      assert.match(first.outcomes[4]!.reason!, /metadata/);
      const second = await h.app.imports.run(rowsOfCsv(csv), { actor });
      assert.deepEqual(second.created, { consumers: 0, keys: 0, clients: 0 });
      assert.deepEqual(second.skipped, { consumers: 1, keys: 2, clients: 1 });
      const delta = await h.app.store.findConsumerByExternalId('delta');
      assert.deepEqual(delta?.metadata, { plan: 'free' });
      assert.equal((await h.app.verifyKey(`${PLAIN_KEY}-delta`, { scopes: ['orders:read'] })).code, 'VALID');
      assert.equal((await h.app.verifyKey(`${KONG_KEY}-delta`)).code, 'DISABLED');
    });

    it('refuses what it cannot read, and more records than a request may carry', async () => {
      assert.equal((await h.call('POST', '/admin/v1/imports', { records: 'x' })).body.code, 'VALIDATION_FAILED');
      const many = await h.call('POST', '/admin/v1/imports', { records: Array.from({ length: 10_001 }, () => ({ type: 'consumer' })) });
      assert.equal(many.status, 413);
      assert.equal(many.body.code, 'IMPORT_TOO_LARGE');
      const huge = await h.call('POST', '/admin/v1/imports', JSON.stringify({ records: [{ type: 'consumer', name: 'x'.repeat(IMPORT_BODY_LIMIT) }] }), {
        'content-type': 'application/json',
      });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.code, 'PAYLOAD_TOO_LARGE');
      assert.throws(() => rowsOfCsv('type,colour\nconsumer,red'), { code: 'IMPORT_INVALID' });
      // What an import running beside this one would meet: a row another transaction wrote since the lookups.
      const twin = newConsumerRecord({ name: 'twin of acme', externalIds: ['acme-a'] }, h.clock.now());
      const empty = { keys: [], clients: [], secrets: [], events: [] };
      await assert.rejects(
        h.app.store.transaction((tx) => tx.insertImportBatch({ consumers: [twin], ...empty })),
        { code: 'IMPORT_CONFLICT' },
      );
      assert.equal(await h.app.store.findConsumerByName('twin of acme'), undefined);
      assert.throws(() => rowsOfCsv('type,name\n"consumer,x'), { code: 'IMPORT_INVALID' });
    });
  });
}

describe('import: the CLI and other nodes (SQLite)', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const env = { PORTCULLIS_STORE: `sqlite:${join(tmp.dir, 'portcullis.db')}` };

  it('portcullis import FILE: report, exit code 2 on a refused row, nothing created the second time; another node learns of foreign keys', async () => {
    writeFileSync(
      join(tmp.dir, 'legacy.json'),
      JSON.stringify({
        records: [
          { type: 'consumer', externalId: 'cli-1', name: 'CLI one', scopes: ['a'] },
          { type: 'key', externalId: 'cli-1-key', consumer: 'cli-1', key: `${PLAIN_KEY}-cli` },
          { type: 'key', externalId: 'cli-1-bad', consumer: 'cli-1', sha256: 'abc' },
        ],
      }),
    );
    // A node that started before the import: it learns of foreign keys from the store sync.
    const otherNode = openSqliteStore(join(tmp.dir, 'portcullis.db'));
    await otherNode.migrate();
    const presence = createForeignKeyPresence(otherNode);
    await presence.refresh();
    assert.equal(presence.present, false);

    const first = await cli(tmp.dir, ['import', 'legacy.json'], env);
    assert.equal(first.code, 2, first.stderr);
    assert.match(first.stdout, /created: 1 consumers, 1 keys, 0 clients/);
    assert.match(first.stdout, /refused: 1/);
    assert.match(first.stdout, /3 +key +cli-1-bad +VALIDATION_FAILED/);
    assert.doesNotMatch(first.stdout, /\r/, 'no progress bar when stdout is not a terminal');

    const second = await cli(tmp.dir, ['import', 'legacy.json', '--json'], env);
    assert.equal(second.code, 2);
    const report = JSON.parse(second.stdout);
    assert.deepEqual(report.created, { consumers: 0, keys: 0, clients: 0 });
    assert.deepEqual(report.skipped, { consumers: 1, keys: 1, clients: 0 });

    await presence.refresh();
    assert.equal(presence.present, true);
    await otherNode.close();

    writeFileSync(join(tmp.dir, 'people.txt'), 'type,externalId,name\nconsumer,cli-2,CLI two\n');
    const csv = await cli(tmp.dir, ['import', 'people.txt', '--format', 'csv', '--dry-run'], env);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /dry run, nothing written — would create: 1 consumers/);
    assert.equal((await cli(tmp.dir, ['import', 'people.txt'], env)).code, 1, 'not JSON');
  });

  it('portcullis import --url sends the file to a running Portcullis and numbers the rows as in the file', async () => {
    const t = await createTestApp();
    try {
      await t.admin.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(t.admin.server.address() as AddressInfo).port}`;
      writeFileSync(join(tmp.dir, 'remote.csv'), 'type,externalId,consumer,name\nconsumer,r-1,,Remote\nkey,r-1-key,r-2,\n');
      const run = await cli(tmp.dir, ['import', 'remote.csv', '--url', url, '--admin-key', t.adminKey, '--json']);
      assert.equal(run.code, 2, run.stderr);
      const report = JSON.parse(run.stdout);
      assert.deepEqual(
        report.outcomes.map((o: any) => [o.row, o.outcome, o.code ?? null]),
        [
          [2, 'created', null],
          [3, 'refused', 'VALIDATION_FAILED'],
        ],
      );
      const events = (await t.call('GET', '/admin/v1/audit-events?action=consumer.imported')).body.items;
      assert.equal(events[0].actor, (await t.app.verifyKey(t.adminKey)).keyId);
    } finally {
      await t.close();
    }
  });

  it('draws a progress bar only on a terminal', async () => {
    let written = '';
    let t = 0;
    const bar = progressBar({ write: (text: string) => (written += text), isTTY: true } as never, 'importing', () => (t += 1000));
    bar.update(0, 4);
    bar.update(2, 4);
    bar.update(4, 4);
    bar.end();
    assert.match(written, /\rimporting \[#{15}-{15}\] 2\/4 \(50%\)/);
    assert.ok(written.endsWith('4/4 (100%)\r\u001b[2K'));
    let plain = '';
    const none = progressBar({ write: (text: string) => (plain += text) }, 'importing');
    none.update(1, 2);
    none.end();
    assert.equal(plain, '');
    // The executable's own streams decide: runCli with a terminal-like stdout gets the bar.
    let tty = '';
    const code = await runCli(['import', join(tmp.dir, 'legacy.json')], {
      cwd: tmp.dir,
      env: { ...process.env, ...env, PORTCULLIS_LOG_LEVEL: 'warn' },
      stdout: { write: (text: string) => (tty += text), isTTY: true } as never,
      stderr: { write: () => true },
    });
    assert.equal(code, 2);
    assert.match(tty, /\rimporting \[#{30}\] 3\/3/);
  });
});

describe('import: a foreign key at the gateway', () => {
  it('authenticates with its own format and reaches the upstream as its consumer', async () => {
    const upstream = await startUpstream();
    const gateway = await startHarness({ apis: [{ name: 'api', basePath: '/api', upstream: upstream.url }] });
    try {
      assert.equal((await fetch(`${gateway.gateway.url}/api/x`, { headers: { 'x-api-key': UNKEY_KEY } })).status, 401);
      const report = await gateway.app.imports.run(
        [
          { row: 1, value: { type: 'consumer', externalId: 'gw', name: 'Gateway consumer' } },
          { row: 2, value: { type: 'key', externalId: 'gw-key', consumer: 'gw', sha256: sha256Hex(UNKEY_KEY) } },
        ],
        { actor: { id: 'cli:local', sourceIp: null } },
      );
      for (const headers of [{ 'x-api-key': UNKEY_KEY }, { authorization: `Bearer ${UNKEY_KEY}` }]) {
        const ok = await fetch(`${gateway.gateway.url}/api/x`, { headers });
        assert.equal(ok.status, 200);
        const echoed = (await ok.json()) as any;
        assert.equal(echoed.headers['x-consumer-id'], report.outcomes[0]!.id);
        assert.equal(echoed.headers['x-credential-type'], 'api-key');
        assert.equal(echoed.headers['x-api-key'], undefined);
      }
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe('import: docs/lifecycle.md examples run as printed', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  it('writes the example files, runs the printed commands, and the imported key and secret work', async () => {
    const doc = readFileSync('docs/lifecycle.md', 'utf8');
    for (const [, name, body] of doc.matchAll(/<!-- file: ([\w.]+) -->\n```\w+\n([\s\S]*?)```/g)) writeFileSync(join(tmp.dir, name!), body!);
    const commands = [...doc.matchAll(/^npx portcullis (import [^#\n]*|migrate)/gm)].map((m) => m[1]!.trim().split(/\s+/));
    assert.equal(commands.length, 5);
    const codes: Array<number | null> = [];
    let last = '';
    for (const args of commands) {
      const run = await cli(tmp.dir, args);
      codes.push(run.code);
      last = run.stdout;
    }
    assert.deepEqual(codes, [0, 2, 2, 2, 0]);
    assert.deepEqual(JSON.parse(last).created, { consumers: 1, keys: 1, clients: 1 });
    const verified = await cli(tmp.dir, ['keys', 'verify', 'uk_3ZtQ9pLmW2xVbN7cRfHs8kJd', '--json']);
    assert.equal(JSON.parse(verified.stdout).code, 'VALID');
  });
});
