// Client-secret rotation with overlap and signing-key rotation (publish before use, retire after the
// last token), all on an injected clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createApp } from '../../src/app.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { testLogger } from '../helpers/logs.js';
import { basic, createOAuthHarness, ISSUER, type OAuthHarness } from './helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('client secret rotation', () => {
  let h: OAuthHarness;
  let consumer: any;
  before(async () => {
    h = await createOAuthHarness();
    consumer = await h.createConsumer();
  });
  after(async () => h?.close());

  const tokenStatus = async (id: string, secret: string) =>
    (await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(id, secret) })).status;

  test('both secrets work until the old one expires; the new secret is shown once and stored hashed', async () => {
    const client = await h.createClient(consumer.id);
    const rotated = await h.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, { expireOldInSeconds: 3600 });
    assert.equal(rotated.status, 201);
    assert.match(rotated.body.clientSecret, /^pcs_[0-9A-Za-z]{36}$/);
    assert.notEqual(rotated.body.clientSecret, client.clientSecret);
    assert.equal(rotated.body.oldSecretsExpireAt, new Date(h.clock.now() + 3600_000).toISOString());

    assert.equal(await tokenStatus(client.clientId, client.clientSecret), 200);
    assert.equal(await tokenStatus(client.clientId, rotated.body.clientSecret), 200);
    h.clock.advance(3600_000 + 1);
    assert.equal(await tokenStatus(client.clientId, client.clientSecret), 401);
    assert.equal(await tokenStatus(client.clientId, rotated.body.clientSecret), 200);

    const shown = await h.call('GET', `/admin/v1/clients/${client.clientId}`);
    assert.equal(shown.body.secrets.length, 2);
    assert.ok(!JSON.stringify(shown.body).includes(rotated.body.clientSecret.slice(8, -4)), 'only masked secrets are listed');
    const secrets = await h.app.store.listClientSecrets(client.clientId);
    assert.ok(secrets.every((s) => /^[0-9a-f]{64}$/.test(s.hash)));
    const events = await h.call('GET', `/admin/v1/audit-events?action=client.secret_rotated&targetId=${client.clientId}`);
    assert.equal(events.body.items.length, 1);
    assert.ok(!JSON.stringify(events.body).includes(rotated.body.clientSecret));

    await h.app.oauth.housekeeping();
    assert.equal((await h.app.store.listClientSecrets(client.clientId)).length, 1, 'expired secrets are pruned');
  });

  test('expireOldInSeconds 0 stops the old secret now; a second rotation never extends an earlier expiry', async () => {
    const client = await h.createClient(consumer.id);
    const first = await h.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, { expireOldInSeconds: 0 });
    assert.equal(await tokenStatus(client.clientId, client.clientSecret), 401);
    assert.equal(await tokenStatus(client.clientId, first.body.clientSecret), 200);

    const second = await h.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, { expireOldInSeconds: 600 });
    await h.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, { expireOldInSeconds: 7200 });
    h.clock.advance(601_000);
    assert.equal(await tokenStatus(client.clientId, first.body.clientSecret), 401, 'kept its 600 s expiry');
    assert.equal(await tokenStatus(client.clientId, second.body.clientSecret), 200, 'the second secret got the 7200 s overlap');
  });

  test('a private_key_jwt client has no secret to rotate (409); unknown client 404', async () => {
    const { publicKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const client = await h.createClient(consumer.id, {
      authMethod: 'private_key_jwt',
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] },
    });
    assert.equal(client.clientSecret, undefined);
    const response = await h.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, {});
    assert.equal(response.status, 409);
    assert.equal(response.body.code, 'CLIENT_HAS_NO_SECRET');
    assert.equal((await h.call('POST', '/admin/v1/clients/cli_0000000000000000000000/secrets', {})).body.code, 'CLIENT_NOT_FOUND');
  });
});

describe('signing-key rotation', () => {
  let h: OAuthHarness;
  let client: any;
  before(async () => {
    h = await createOAuthHarness({ oauth: { jwksCacheMaxAge: '5m', maxTokenTtl: '2h', rotateSigningKeyEvery: '30d' } });
    client = await h.createClient((await h.createConsumer()).id, { tokenTtlSeconds: 7200 });
  });
  after(async () => h?.close());

  const kids = async () => ((await h.get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((k) => k.kid);
  const verifies = async (token: string) => {
    const jwks = createLocalJWKSet((await h.get('/.well-known/jwks.json')).body);
    try {
      await jwtVerify(token, jwks, { issuer: ISSUER, currentDate: new Date(h.clock.now()) });
      return true;
    } catch {
      return false;
    }
  };

  test('publish before use, sign after one JWKS cache period, retire after the last token expires', async () => {
    const before = await h.tokenFor(client);
    const k1 = decodeProtectedHeader(before).kid!;
    assert.deepEqual(await kids(), [k1]);

    const rotated = await h.call('POST', '/admin/v1/signing-keys/rotate', {});
    assert.equal(rotated.status, 201);
    const k2 = rotated.body.kid;
    assert.equal(rotated.body.state, 'pending');
    assert.equal(rotated.body.activatesAt, new Date(h.clock.now() + 5 * MINUTE).toISOString());
    assert.deepEqual((await kids()).sort(), [k1, k2].sort(), 'the new key is in the JWKS before it signs');
    assert.equal(decodeProtectedHeader(await h.tokenFor(client)).kid, k1, 'the old key still signs');

    h.clock.advance(5 * MINUTE);
    const after = await h.tokenFor(client);
    assert.equal(decodeProtectedHeader(after).kid, k2, 'the new key signs after one cache period');
    assert.equal((await h.authenticate(after)).ok, true);
    const lastOld = before; // issued by k1
    const listed = await h.call('GET', '/admin/v1/signing-keys');
    assert.deepEqual(
      listed.body.items.map((k: any) => [k.kid, k.state]),
      [
        [k1, 'retired'],
        [k2, 'active'],
      ],
    );
    assert.ok(!JSON.stringify(listed.body).includes('private'), 'no private key material in the listing');

    h.clock.advance(HOUR);
    assert.deepEqual((await kids()).sort(), [k1, k2].sort(), 'the retired key stays while its tokens may live');
    assert.equal(await verifies(lastOld), true);

    h.clock.advance(HOUR + 31_000); // past k2 activation + maxTokenTtl (2h) + leeway
    assert.deepEqual(await kids(), [k2], 'the retired key leaves the JWKS after its last token expired');
    await h.app.oauth.housekeeping();
    assert.deepEqual(
      (await h.app.store.listSigningKeys()).map((k) => k.id),
      [k2],
    );
  });

  test('scheduled rotation: a new key is published when the newest is older than rotateSigningKeyEvery', async () => {
    const count = (await h.app.store.listSigningKeys()).length;
    await h.app.oauth.housekeeping();
    assert.equal((await h.app.store.listSigningKeys()).length, count, 'not due yet');
    h.clock.advance(30 * 24 * HOUR);
    await h.app.oauth.housekeeping();
    const keys = await h.app.store.listSigningKeys();
    assert.equal(keys.length, count + 1);
    assert.equal(keys.at(-1)!.activatesAt, h.clock.now() + 5 * MINUTE);
    await h.app.oauth.housekeeping();
    assert.equal((await h.app.store.listSigningKeys()).length, count + 1, 'one rotation per period');
  });

  test('scheduled rotation due on two nodes (or workers) at once: one new key, not two', async () => {
    const b = await createApp({ config: h.app.config, clock: h.clock, store: openSqliteStore(h.sqlitePath!), logger: testLogger() });
    try {
      h.clock.advance(30 * 24 * HOUR);
      await Promise.all([h.app.oauth.housekeeping(), b.oauth.housekeeping()]);
      const created = (await h.app.store.listSigningKeys()).filter((key) => key.createdAt === h.clock.now());
      assert.equal(created.length, 1);
    } finally {
      await b.close();
    }
  });

  test('immediate rotation (a compromised key): old tokens stop verifying at once', async () => {
    h.clock.advance(10 * MINUTE);
    const old = await h.tokenFor(client);
    assert.equal((await h.authenticate(old)).ok, true);
    h.app.oauth.tokenCache.clear();
    const rotated = await h.call('POST', '/admin/v1/signing-keys/rotate', { immediate: true });
    assert.equal(rotated.body.state, 'active');
    const outcome = await h.authenticate(old);
    assert.equal(!outcome.ok && outcome.code, 'TOKEN_KEY_UNKNOWN');
    assert.equal(decodeProtectedHeader(await h.tokenFor(client)).kid, rotated.body.kid);
    assert.deepEqual(await kids(), [rotated.body.kid]);
  });

  test('another node picks up a rotated key from the store when it meets an unknown kid', async () => {
    const storeB = openSqliteStore(h.sqlitePath!);
    const b = await createApp({ config: h.app.config, clock: h.clock, store: storeB, logger: testLogger() });
    try {
      await h.call('POST', '/admin/v1/signing-keys/rotate', { immediate: true });
      h.clock.advance(10_000);
      const token = await h.tokenFor(client);
      const outcome = await b.authMethods.get('jwt')!.authenticate(token, { scopes: [] });
      assert.equal(outcome.ok, true);
    } finally {
      await b.close();
    }
  });

  test('private keys are sealed at rest; the wrong master key refuses to start', async () => {
    const [key] = await h.app.store.listSigningKeys();
    assert.match(key!.privateKeySealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(!key!.privateKeySealed.includes('BEGIN'));
    const storeB = openSqliteStore(h.sqlitePath!);
    const config = { ...h.app.config, oauth: { ...h.app.config.oauth, masterKey: generateMasterKey() } };
    await assert.rejects(
      createApp({ config, clock: h.clock, store: storeB, logger: testLogger() }),
      /cannot be decrypted: is oauth.masterKey the key it was sealed with\?/,
    );
    await storeB.close();
  });
});
