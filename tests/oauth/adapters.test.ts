// The OAuth flows end to end on every store adapter (PostgreSQL when PORTCULLIS_TEST_POSTGRES_URL is
// set): issue, verify, revoke one, revoke all, rotate the secret and the signing key, private_key_jwt replay.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { JWT_BEARER_ASSERTION } from '../../src/oauth/clients/credentials.js';
import { storeAdapters } from '../helpers/stores.js';
import { basic, createOAuthHarness, ISSUER } from './helpers.js';
import { signJwt } from './jwt-tools.js';

for (const adapter of storeAdapters) {
  describe(`OAuth flows (${adapter.name})`, { skip: adapter.skip }, () => {
    test('issue, verify, revoke, revoke-all, rotate secret and signing key', async () => {
      const h = await createOAuthHarness({ adapter });
      try {
        const consumer = await h.createConsumer();
        const client = await h.createClient(consumer.id);
        const t1 = await h.tokenFor(client);
        const t2 = await h.tokenFor(client);
        assert.equal((await h.authenticate(t1)).ok, true);
        assert.equal((await h.post('/oauth/revoke', { token: t1 }, { authorization: basic(client.clientId, client.clientSecret) })).status, 200);
        assert.equal((await h.authenticate(t1)).ok, false);
        assert.equal((await h.authenticate(t2)).ok, true);
        await h.call('POST', `/admin/v1/clients/${client.clientId}/revoke-tokens`);
        assert.equal((await h.authenticate(t2)).ok, false);
        assert.equal((await h.authenticate(await h.tokenFor(client))).ok, true);

        const rotated = await h.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, { expireOldInSeconds: 10 });
        assert.equal(
          (await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, client.clientSecret) })).status,
          200,
        );
        h.clock.advance(11_000);
        assert.equal(
          (await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, client.clientSecret) })).status,
          401,
        );
        assert.equal(
          (await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, rotated.body.clientSecret) })).status,
          200,
        );

        const key = await h.call('POST', '/admin/v1/signing-keys/rotate', { immediate: true });
        assert.equal(key.status, 201);
        assert.deepEqual(
          (await h.get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid),
          [key.body.kid],
        );

        const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const pkj = await h.createClient(consumer.id, {
          authMethod: 'private_key_jwt',
          jwks: { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'k' }] },
        });
        const now = Math.floor(h.clock.now() / 1000);
        const assertion = signJwt(
          { alg: 'ES256', kid: 'k' },
          { iss: pkj.clientId, sub: pkj.clientId, aud: ISSUER, iat: now, exp: now + 60, jti: randomUUID() },
          pair.privateKey,
          'ES256',
        );
        const form = { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: assertion };
        assert.equal((await h.post('/oauth/token', form)).status, 200);
        assert.equal((await h.post('/oauth/token', form)).status, 401, 'replay');
      } finally {
        await h.close();
      }
    });
  });
}
