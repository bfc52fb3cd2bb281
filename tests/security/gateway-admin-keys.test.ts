// Issue #19 §6: admin keys are for the admin API only. On the gateway, and in library mode (which
// authenticates the same way), a key with the portcullis:admin scope or of the admin consumer is
// refused with 403 ADMIN_KEY_NOT_ALLOWED, whatever the API's scopes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_CONSUMER_NAME, ADMIN_SCOPE } from '../../src/app.js';
import { authenticateCredentials } from '../../src/auth/authenticate.js';
import { makePolicy } from '../../src/auth/policy.js';
import { createAuthenticator } from '../../src/index.js';
import { type Harness, rawRequest, startHarness, startUpstream, type Upstream } from '../gateway/helpers.js';
import { createOAuthHarness } from '../oauth/helpers.js';

describe('security: admin keys on the gateway', () => {
  let upstream: Upstream;
  let h: Harness;
  let adminScoped: string;
  let adminConsumerKey: string;
  let plain: string;

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({
      apis: [
        { name: 'open', basePath: '/open', upstream: upstream.url },
        { name: 'scoped', basePath: '/scoped', upstream: upstream.url, scopes: ['x:read'] },
      ],
    });
    // An ordinary consumer that was given the admin scope too: its key opens the admin API.
    ({ key: adminScoped } = await h.issueKey({ scopes: [ADMIN_SCOPE, 'x:read'] }));
    // A second key of the admin consumer, made the way `portcullis admin create-key` does.
    adminConsumerKey = (await h.app.createAdminKey('second')).key;
    ({ key: plain } = await h.issueKey({ scopes: ['x:read'] }));
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  const call = (path: string, key: string, header: 'authorization' | 'x-api-key' = 'authorization') =>
    rawRequest(`${h.gateway.url}${path}`, { headers: { [header]: header === 'authorization' ? `Bearer ${key}` : key } });

  it('refuses an admin key with 403 ADMIN_KEY_NOT_ALLOWED on an API without scopes', async () => {
    for (const key of [h.adminKey, adminConsumerKey, adminScoped]) {
      for (const header of ['authorization', 'x-api-key'] as const) {
        upstream.last = undefined;
        const response = await call('/open/things', key, header);
        assert.equal(response.status, 403);
        assert.equal(response.json().code, 'ADMIN_KEY_NOT_ALLOWED');
        assert.equal(upstream.last, undefined, 'the upstream saw the request');
      }
    }
  });

  it('refuses an admin key whatever the API’s scopes, also when the key has them', async () => {
    for (const key of [h.adminKey, adminScoped]) {
      const response = await call('/scoped/things', key);
      assert.equal(response.status, 403);
      assert.equal(response.json().code, 'ADMIN_KEY_NOT_ALLOWED');
    }
    // Asked again, from the verification cache: still refused.
    assert.equal((await call('/scoped/things', adminScoped)).json().code, 'ADMIN_KEY_NOT_ALLOWED');
  });

  it('an ordinary key is unaffected, and the admin key still works on the admin API', async () => {
    assert.equal((await call('/scoped/things', plain)).status, 200);
    const consumers = await fetch(`${h.adminUrl}/admin/v1/consumers`, { headers: { authorization: `Bearer ${h.adminKey}` } });
    assert.equal(consumers.status, 200);
  });

  it('library mode refuses admin keys too, in process and remotely', async () => {
    const inProcess = createAuthenticator({ store: `sqlite:${join(h.dir, 'portcullis.db')}` });
    const remote = createAuthenticator({ remote: { url: h.adminUrl, adminKey: h.adminKey } });
    try {
      for (const authenticator of [inProcess, remote]) {
        for (const key of [h.adminKey, adminScoped]) {
          const decision = await authenticator.authenticate((name) => (name === 'authorization' ? `Bearer ${key}` : undefined));
          assert.equal(decision.ok, false);
          assert.equal(!decision.ok && decision.status, 403);
          assert.equal(!decision.ok && decision.body.code, 'ADMIN_KEY_NOT_ALLOWED');
        }
        const ok = await authenticator.authenticate((name) => (name === 'authorization' ? `Bearer ${plain}` : undefined));
        assert.equal(ok.ok, true);
      }
    } finally {
      await inProcess.verifier.close();
      await remote.verifier.close();
    }
  });
});

describe('security: admin credentials as tokens', () => {
  it('a token of an admin-consumer client is refused by the gateway’s authentication like an admin key', async () => {
    const h = await createOAuthHarness();
    try {
      const adminConsumer = await h.app.store.findConsumerByName(ADMIN_CONSUMER_NAME);
      assert.ok(adminConsumer, 'the admin consumer exists');
      const adminClient = await h.createClient(adminConsumer.id);
      const consumer = await h.createConsumer();
      const client = await h.createClient(consumer.id);
      const policy = makePolicy([{ bearer: true, apiKeyHeader: null, apiKeyQuery: null, methods: ['jwt'], scopes: [] }], false, undefined);
      const decide = async (token: string) =>
        authenticateCredentials(
          policy,
          { authorization: `Bearer ${token}`, header: () => undefined, query: () => undefined, repeated: false, sourceAddress: () => '127.0.0.1' },
          h.app.authMethods,
        );
      const refused = await decide(await h.tokenFor(adminClient));
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.status, 403);
      assert.equal(!refused.ok && refused.code, 'ADMIN_KEY_NOT_ALLOWED');
      assert.equal((await decide(await h.tokenFor(client))).ok, true);
    } finally {
      await h.close();
    }
  });
});
