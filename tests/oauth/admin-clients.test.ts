// The admin API for OAuth clients: schema-validated routes, defaults, the secret shown once and stored
// only as a hash, audit events without secrets, OpenAPI entries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { isWellFormedKey } from '../../src/keys/format.js';
import { basic, createOAuthHarness, type OAuthHarness } from './helpers.js';

describe('admin API: OAuth clients', () => {
  let h: OAuthHarness;
  let consumer: any;
  before(async () => {
    h = await createOAuthHarness({ oauth: { maxTokenTtl: '2h' } });
    consumer = await h.createConsumer({ scopes: ['orders:read', 'orders:write'] });
  });
  after(async () => h?.close());

  test('create: defaults, a cli_ id, a pcs_ secret in the key format shown once', async () => {
    const created = await h.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, { name: 'billing-sync' });
    assert.equal(created.status, 201);
    const c = created.body;
    assert.match(c.clientId, /^cli_[0-9A-Za-z]{22}$/);
    assert.ok(isWellFormedKey(c.clientSecret, 'pcs'), 'prefix, 30 random, 6 checksum');
    assert.deepEqual(c.scopes, ['orders:read', 'orders:write']);
    assert.deepEqual(c.audiences, []);
    assert.equal(c.tokenTtlSeconds, 3600);
    assert.equal(c.authMethod, null, 'not pinned to one method');
    assert.deepEqual(c.authMethods, ['client_secret_basic', 'client_secret_post']);
    assert.equal(c.enabled, true);
    assert.equal(c.tokensRevokedBefore, null);
    assert.equal(c.secrets.length, 1);
    assert.match(c.secrets[0].masked, /^pcs_.{4}….{4}$/);

    const shown = await h.call('GET', `/admin/v1/clients/${c.clientId}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.clientSecret, undefined);
    assert.ok(!JSON.stringify(shown.body).includes(c.clientSecret));
    const sqlite = readFileSync(h.sqlitePath!);
    assert.ok(!sqlite.includes(c.clientSecret), 'the plaintext secret is not in the database');
    const events = await h.call('GET', `/admin/v1/audit-events?targetId=${c.clientId}`);
    assert.deepEqual(
      events.body.items.map((e: any) => e.action),
      ['client.created'],
    );
    assert.ok(!JSON.stringify(events.body).includes(c.clientSecret));
  });

  test('a client without audiences gets tokens for the issuer; a client TTL shapes expires_in', async () => {
    const c = (await h.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, { tokenTtlSeconds: 120, scopes: ['orders:read'] })).body;
    const response = await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, c.clientSecret) });
    assert.equal(response.body.expires_in, 120);
    assert.equal(response.body.scope, 'orders:read');
    const claims = JSON.parse(Buffer.from(response.body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.aud, 'https://auth.portcullis.test');
  });

  test('refused input: scopes beyond the consumer’s, a TTL over the maximum, bad audiences, unknown fields, unknown consumer', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ scopes: ['admin'] }, 400, 'SCOPES_NOT_ALLOWED'],
      [{ tokenTtlSeconds: 7201 }, 400, 'TOKEN_TTL_TOO_LONG'],
      [{ tokenTtlSeconds: 0 }, 400, 'VALIDATION_FAILED'],
      [{ audiences: ['has space'] }, 400, 'VALIDATION_FAILED'],
      [{ authMethod: 'client_secret_jwt' }, 400, 'VALIDATION_FAILED'],
      [{ secret: 'mine' }, 400, 'VALIDATION_FAILED'],
      [{ enabled: 'yes' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const response = await h.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, body);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.equal(response.body.code, code, JSON.stringify(body));
    }
    const missing = await h.call('POST', '/admin/v1/consumers/con_0000000000000000000000/clients', {});
    assert.equal(missing.body.code, 'CONSUMER_NOT_FOUND');
  });

  test('list pages with a cursor; get, patch, delete', async () => {
    const owner = await h.createConsumer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.createClient(owner.id, { name: `c${i}` })).clientId);
    const first = await h.call('GET', `/admin/v1/consumers/${owner.id}/clients?limit=2`);
    assert.equal(first.body.items.length, 2);
    const second = await h.call('GET', `/admin/v1/consumers/${owner.id}/clients?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual([...first.body.items, ...second.body.items].map((c: any) => c.clientId).sort(), ids.sort());
    assert.equal(second.body.nextCursor, null);

    const patched = await h.call('PATCH', `/admin/v1/clients/${ids[0]}`, {
      name: 'renamed',
      audiences: ['urn:a'],
      tokenTtlSeconds: 60,
      scopes: ['orders:read'],
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(
      [patched.body.name, patched.body.audiences, patched.body.tokenTtlSeconds, patched.body.scopes],
      ['renamed', ['urn:a'], 60, ['orders:read']],
    );
    assert.equal((await h.call('PATCH', `/admin/v1/clients/${ids[0]}`, {})).status, 400);
    assert.equal((await h.call('PATCH', `/admin/v1/clients/${ids[0]}`, { scopes: ['nope'] })).body.code, 'SCOPES_NOT_ALLOWED');

    assert.equal((await h.call('DELETE', `/admin/v1/clients/${ids[0]}`)).status, 204);
    const gone = await h.call('GET', `/admin/v1/clients/${ids[0]}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'CLIENT_NOT_FOUND');
    assert.equal((await h.call('DELETE', `/admin/v1/clients/${ids[0]}`)).status, 404);
    assert.equal((await h.call('GET', '/admin/v1/clients/not-an-id')).body.code, 'VALIDATION_FAILED');
  });

  test('switching a client to private_key_jwt needs keys; back to a secret method needs a new secret', async () => {
    const c = await h.createClient(consumer.id);
    assert.equal((await h.call('PATCH', `/admin/v1/clients/${c.clientId}`, { authMethod: 'private_key_jwt' })).body.code, 'INVALID_JWKS');
    const { generateKeyPairSync } = await import('node:crypto');
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const switched = await h.call('PATCH', `/admin/v1/clients/${c.clientId}`, { authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    assert.equal(switched.status, 200);
    const back = await h.call('PATCH', `/admin/v1/clients/${c.clientId}`, { authMethod: 'client_secret_post' });
    assert.equal(back.body.jwks, null);
    const secret = await h.call('POST', `/admin/v1/clients/${c.clientId}/secrets`, { expireOldInSeconds: 0 });
    assert.equal(secret.status, 201);
    const token = await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret.body.clientSecret });
    assert.equal(token.status, 200);
  });

  test('authMethod pins a client to one method; null unpins it (both secret methods), and the token endpoint follows', async () => {
    const c = await h.createClient(consumer.id, { authMethod: 'client_secret_post' });
    assert.equal(c.authMethod, 'client_secret_post');
    assert.deepEqual(c.authMethods, ['client_secret_post']);
    const asBasic = () => h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, c.clientSecret) });
    assert.equal((await asBasic()).status, 401);

    const unpinned = await h.call('PATCH', `/admin/v1/clients/${c.clientId}`, { authMethod: null });
    assert.equal(unpinned.status, 200);
    assert.equal(unpinned.body.authMethod, null);
    assert.deepEqual(unpinned.body.authMethods, ['client_secret_basic', 'client_secret_post']);
    assert.equal((await asBasic()).status, 200);

    const pinned = await h.call('PATCH', `/admin/v1/clients/${c.clientId}`, { authMethod: 'client_secret_basic' });
    assert.deepEqual([pinned.body.authMethod, pinned.body.authMethods], ['client_secret_basic', ['client_secret_basic']]);
    const asPost = await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    assert.equal(asPost.status, 401);
    const listed = await h.call('GET', `/admin/v1/consumers/${consumer.id}/clients?limit=100`);
    assert.deepEqual(listed.body.items.find((x: any) => x.clientId === c.clientId).authMethods, ['client_secret_basic']);
  });

  test('every route needs an admin key', async () => {
    const response = await h.admin.inject({ method: 'GET', url: `/admin/v1/consumers/${consumer.id}/clients` });
    assert.equal(response.statusCode, 401);
    for (const [method, url] of [
      ['POST', `/admin/v1/consumers/${consumer.id}/clients`],
      ['POST', '/admin/v1/clients/cli_0000000000000000000000/revoke-tokens'],
      ['POST', '/admin/v1/tokens/abc/revoke'],
      ['GET', '/admin/v1/signing-keys'],
      ['POST', '/admin/v1/signing-keys/rotate'],
    ] as const) {
      assert.equal((await h.admin.inject({ method, url, payload: {} })).statusCode, 401, url);
    }
  });

  test('the OpenAPI document lists the OAuth admin routes', async () => {
    const doc = (await h.admin.inject({ method: 'GET', url: '/admin/v1/openapi.json' })).json();
    for (const path of [
      '/admin/v1/consumers/{id}/clients',
      '/admin/v1/clients/{clientId}',
      '/admin/v1/clients/{clientId}/secrets',
      '/admin/v1/clients/{clientId}/revoke-tokens',
      '/admin/v1/tokens/{jti}/revoke',
      '/admin/v1/signing-keys',
      '/admin/v1/signing-keys/rotate',
    ]) {
      assert.ok(doc.paths[path], path);
    }
  });
});
