// IP allowlists of OAuth clients and consumers, on SQLite and PostgreSQL: the token endpoint refuses a
// client outside its (or its consumer's) list with invalid_client, the same answer as a wrong secret;
// a token's cached verdict carries the lists, so a cache hit still checks the address, and a change
// to a list reaches the cached principal at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authenticateCredentials } from '../../src/auth/authenticate.js';
import { makePolicy } from '../../src/auth/policy.js';
import { storeAdapters } from '../helpers/stores.js';
import { basic, createOAuthHarness, form, type OAuthHarness } from './helpers.js';

for (const adapter of storeAdapters) {
  describe(`OAuth client IP allowlists (${adapter.name})`, { skip: adapter.skip }, () => {
    let h: OAuthHarness;
    before(async () => {
      h = await createOAuthHarness({ adapter, config: { gateway: { trustProxy: true } } });
    });
    after(async () => h?.close());

    /** POST /oauth/token from `address` (the last X-Forwarded-For entry, as trustProxy reads it). */
    const tokenFrom = async (client: { clientId: string; clientSecret: string }, address: string, secret = client.clientSecret) => {
      const response = await h.public.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.clientId, secret), 'x-forwarded-for': address },
        payload: form({ grant_type: 'client_credentials' }),
      });
      return { status: response.statusCode, body: JSON.parse(response.body) };
    };
    const policy = makePolicy([{ bearer: true, apiKeyHeader: null, apiKeyQuery: null, methods: ['jwt'], scopes: [] }], false, undefined);
    const decide = async (token: string, address: string) =>
      authenticateCredentials(
        policy,
        { authorization: `Bearer ${token}`, header: () => undefined, query: () => undefined, repeated: false, sourceAddress: () => address },
        h.app.authMethods,
      );

    it('the token endpoint: a client outside its list gets invalid_client, exactly as with a wrong secret', async () => {
      const consumer = await h.createConsumer();
      const client = await h.createClient(consumer.id, { allowedIps: ['203.0.113.7/24'] });
      assert.deepEqual(client.allowedIps, ['203.0.113.0/24'], 'stored normalised');
      assert.equal((await tokenFrom(client, '203.0.113.9')).status, 200);
      const outside = await tokenFrom(client, '198.51.100.1');
      const wrongSecret = await tokenFrom(
        client,
        '203.0.113.9',
        client.clientSecret.replace(/.$/, (c: string) => (c === 'x' ? 'y' : 'x')),
      );
      assert.equal(outside.status, 401);
      assert.deepEqual(outside.body, wrongSecret.body);
      assert.equal(outside.body.error, 'invalid_client');
      assert.equal((await tokenFrom(client, '203.0.113.9, 198.51.100.1')).status, 401, 'an allowed address sent by the client is not believed');
    });

    it('the token endpoint: the consumer’s list applies to each of its clients too', async () => {
      const consumer = await h.createConsumer();
      const client = await h.createClient(consumer.id, { allowedIps: ['203.0.113.0/24'] });
      assert.equal((await h.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { allowedIps: ['203.0.113.0/25'] })).status, 200);
      assert.equal((await tokenFrom(client, '203.0.113.9')).status, 200);
      assert.equal((await tokenFrom(client, '203.0.113.200')).status, 401, 'allowed by the client, not by its consumer');
      const open = await h.createClient(consumer.id);
      assert.equal((await tokenFrom(open, '198.51.100.1')).status, 401, 'a client without a list: the consumer’s list alone');
      assert.equal((await tokenFrom(open, '::ffff:203.0.113.1')).status, 200, 'IPv4-mapped IPv6');
    });

    it('the gateway: a cached token is checked against the lists on every request, and list changes reach it at once', async () => {
      const consumer = await h.createConsumer();
      const client = await h.createClient(consumer.id, { allowedIps: ['2001:db8::/32', '203.0.113.0/24'] });
      const token = await (async () => (await tokenFrom(client, '2001:db8::1')).body.access_token as string)();
      assert.equal((await decide(token, '2001:db8::5')).ok, true);
      for (let i = 0; i < 2; i++) {
        const refused = await decide(token, '2001:db9::5');
        assert.equal(refused.ok, false);
        assert.equal(!refused.ok && refused.code, 'IP_NOT_ALLOWED');
        assert.equal(!refused.ok && refused.status, 403);
        assert.equal(!refused.ok && refused.refused?.credentialId, client.clientId, 'usage counts it as the client’s');
      }
      assert.equal((await h.call('PATCH', `/admin/v1/clients/${client.clientId}`, { allowedIps: [] })).status, 200);
      assert.equal((await decide(token, '2001:db9::5')).ok, true, 'no list any more');
      assert.equal((await h.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { allowedIps: ['192.0.2.1'] })).status, 200);
      const byConsumer = await decide(token, '2001:db9::5');
      assert.equal(!byConsumer.ok && byConsumer.code, 'IP_NOT_ALLOWED', 'the consumer’s new list');
      assert.equal((await decide(token, '192.0.2.1')).ok, true);
    });

    it('a bad entry is a 400 IP_ALLOWLIST_INVALID on clients', async () => {
      const consumer = await h.createConsumer();
      const created = await h.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, { allowedIps: ['2001:db8::/129'] });
      assert.equal(created.status, 400);
      assert.equal(created.body.code, 'IP_ALLOWLIST_INVALID');
      const client = await h.createClient(consumer.id);
      const patched = await h.call('PATCH', `/admin/v1/clients/${client.clientId}`, { allowedIps: ['not-an-ip'] });
      assert.equal(patched.status, 400);
      assert.equal(patched.body.code, 'IP_ALLOWLIST_INVALID');
      assert.deepEqual((await h.call('GET', `/admin/v1/clients/${client.clientId}`)).body.allowedIps, []);
    });
  });
}
