// What the article says JWTs cannot do: revoke one token, revoke all of a client's tokens without
// touching its secret, and stop a disabled consumer's tokens — each at once, seen by the gateway's jwt
// method and by introspection. Denylist entries live only until the token's own expiry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testLogger } from '../helpers/logs.js';
import { basic, createOAuthHarness, type OAuthHarness } from './helpers.js';

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('revocation and introspection', () => {
  let h: OAuthHarness;
  let consumer: any;
  let client: any;

  before(async () => {
    h = await createOAuthHarness();
    consumer = await h.createConsumer({ metadata: { accountId: 'acct_7' } });
    client = await h.createClient(consumer.id, { audiences: ['urn:orders'] });
  });
  after(async () => h?.close());

  const introspect = (token: string, auth: Record<string, string>) => h.post('/oauth/introspect', { token }, auth);

  test('a fresh token is accepted and introspects active with its claims', async () => {
    const token = await h.tokenFor(client, { scope: 'orders:read' });
    const outcome = await h.authenticate(token, { scopes: ['orders:read'], audience: 'urn:orders' });
    assert.equal(outcome.ok, true);
    if (outcome.ok) {
      assert.equal(outcome.identity.consumerId, consumer.id);
      assert.deepEqual(outcome.identity.metadata, { accountId: 'acct_7' });
      assert.deepEqual(outcome.identity.credential, {
        type: 'jwt',
        clientId: client.clientId,
        jti: claimsOf(token).jti,
        issuer: 'https://auth.portcullis.test',
      });
    }
    const answer = await introspect(token, { authorization: basic(client.clientId, client.clientSecret) });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.body.active, true);
    assert.equal(answer.body.client_id, client.clientId);
    assert.equal(answer.body.scope, 'orders:read');
    assert.equal(answer.body.aud, 'urn:orders');
  });

  test('introspection: a client sees only its own tokens, an admin key sees any, garbage is inactive', async () => {
    const token = await h.tokenFor(client);
    const other = await h.createClient(consumer.id);
    assert.deepEqual((await introspect(token, { authorization: basic(other.clientId, other.clientSecret) })).body, { active: false });
    assert.equal((await introspect(token, { authorization: `Bearer ${h.adminKey}` })).body.active, true);
    assert.deepEqual((await introspect('not-a-token', { authorization: `Bearer ${h.adminKey}` })).body, { active: false });
    const unauthenticated = await introspect(token, {});
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body.error, 'invalid_client');
    const badAdmin = await introspect(token, { authorization: 'Bearer pcl_notarealkey' });
    assert.equal(badAdmin.status, 401);
  });

  test('RFC 7009: the client revokes its token → jwt method 401 TOKEN_REVOKED, introspection inactive; other tokens live', async () => {
    const revoked = await h.tokenFor(client);
    const kept = await h.tokenFor(client);
    assert.equal((await h.authenticate(revoked)).ok, true, 'cached as verified before the revocation');
    const response = await h.post(
      '/oauth/revoke',
      { token: revoked, token_type_hint: 'access_token' },
      { authorization: basic(client.clientId, client.clientSecret) },
    );
    assert.equal(response.status, 200);
    const outcome = await h.authenticate(revoked);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.status, 401);
      assert.equal(outcome.code, 'TOKEN_REVOKED');
    }
    assert.deepEqual((await introspect(revoked, { authorization: `Bearer ${h.adminKey}` })).body, { active: false });
    assert.equal((await h.authenticate(kept)).ok, true);
    const events = await h.call('GET', `/admin/v1/audit-events?action=token.revoked&targetId=${claimsOf(revoked).jti}`);
    assert.equal(events.body.items.length, 1);
  });

  test('RFC 7009: revoking garbage or an expired token answers 200; another client’s token is refused', async () => {
    const auth = { authorization: basic(client.clientId, client.clientSecret) };
    assert.equal((await h.post('/oauth/revoke', { token: 'garbage' }, auth)).status, 200);
    const other = await h.createClient(consumer.id);
    const theirs = await h.tokenFor(other);
    const refused = await h.post('/oauth/revoke', { token: theirs }, auth);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'unauthorized_client');
    assert.equal((await h.authenticate(theirs)).ok, true, 'not revoked');
    assert.equal((await h.post('/oauth/revoke', { token: theirs }, {})).status, 401, 'revocation needs client authentication');
    assert.equal((await h.post('/oauth/revoke', {}, auth)).body.error, 'invalid_request');
  });

  test('revoke-tokens: every earlier token 401, a new one 200, the secret untouched', async () => {
    const before1 = await h.tokenFor(client);
    h.clock.advance(1000);
    const before2 = await h.tokenFor(client);
    for (const token of [before1, before2]) assert.equal((await h.authenticate(token)).ok, true);
    const response = await h.call('POST', `/admin/v1/clients/${client.clientId}/revoke-tokens`);
    assert.equal(response.status, 200);
    assert.ok(response.body.tokensRevokedBefore);
    const fresh = await h.tokenFor(client); // same millisecond as the revocation: still a new token
    for (const token of [before1, before2]) {
      const outcome = await h.authenticate(token);
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.equal(outcome.code, 'TOKEN_REVOKED');
      assert.equal((await introspect(token, { authorization: `Bearer ${h.adminKey}` })).body.active, false);
    }
    assert.equal((await h.authenticate(fresh)).ok, true);
    assert.equal((await introspect(fresh, { authorization: basic(client.clientId, client.clientSecret) })).body.active, true);
  });

  test('disabling the consumer stops its live tokens at once; enabling brings them back', async () => {
    const token = await h.tokenFor(client);
    assert.equal((await h.authenticate(token)).ok, true);
    await h.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { enabled: false });
    const outcome = await h.authenticate(token);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.equal(outcome.code, 'CONSUMER_DISABLED');
    assert.equal((await introspect(token, { authorization: `Bearer ${h.adminKey}` })).body.active, false);
    await h.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { enabled: true });
    assert.equal((await h.authenticate(token)).ok, true);
  });

  test('disabling or deleting the client stops its tokens', async () => {
    const doomed = await h.createClient(consumer.id);
    const token = await h.tokenFor(doomed);
    await h.call('PATCH', `/admin/v1/clients/${doomed.clientId}`, { enabled: false });
    let outcome = await h.authenticate(token);
    assert.equal(!outcome.ok && outcome.code, 'CLIENT_DISABLED');
    await h.call('DELETE', `/admin/v1/clients/${doomed.clientId}`);
    outcome = await h.authenticate(token);
    assert.equal(!outcome.ok && outcome.code, 'CLIENT_UNKNOWN');
  });

  test('a consumer losing a scope: its tokens lose it too (403 insufficient_scope)', async () => {
    const shrinking = await h.createConsumer({ scopes: ['a', 'b'] });
    const c = await h.createClient(shrinking.id);
    const token = await h.tokenFor(c);
    assert.equal((await h.authenticate(token, { scopes: ['b'] })).ok, true);
    await h.call('PATCH', `/admin/v1/consumers/${shrinking.id}`, { scopes: ['a'] });
    const outcome = await h.authenticate(token, { scopes: ['b'] });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.status, 403);
      assert.equal(outcome.error, 'insufficient_scope');
      assert.deepEqual(outcome.missingScopes, ['b']);
    }
  });

  test('admin revokes one token by jti', async () => {
    const token = await h.tokenFor(client);
    const { jti } = claimsOf(token);
    const response = await h.call('POST', `/admin/v1/tokens/${jti}/revoke`);
    assert.equal(response.status, 200);
    assert.equal(response.body.jti, jti);
    const outcome = await h.authenticate(token);
    assert.equal(!outcome.ok && outcome.code, 'TOKEN_REVOKED');
  });

  test('denylist entries are pruned once the token has expired, and expired tokens are refused anyway', async () => {
    const token = await h.tokenFor(client);
    const { jti, exp } = claimsOf(token);
    await h.post('/oauth/revoke', { token }, { authorization: basic(client.clientId, client.clientSecret) });
    assert.ok(await h.app.store.findRevokedToken(jti));
    assert.equal(h.app.oauth.revocations.has(jti), true);
    h.clock.set(exp * 1000 + 1);
    const outcome = await h.authenticate(token);
    assert.equal(!outcome.ok && outcome.code, 'TOKEN_EXPIRED');
    await h.app.storeSync.pass();
    assert.equal(h.app.oauth.revocations.has(jti), false, 'dropped from memory');
    await h.app.oauth.housekeeping();
    assert.equal(await h.app.store.findRevokedToken(jti), undefined, 'dropped from the store');
  });
});

describe('revocations reach another node through the store', () => {
  test('node B learns of node A’s revocation and revoke-all on its next sync', async () => {
    const a = await createOAuthHarness();
    try {
      const consumer = await a.createConsumer();
      const client = await a.createClient(consumer.id);
      // Node B: a second app on the same store and master key (the harness' store is a file).
      const { createApp } = await import('../../src/app.js');
      const { openSqliteStore } = await import('../../src/store/sqlite.js');
      const storeB = openSqliteStore(a.sqlitePath!);
      const b = await createApp({ config: a.app.config, clock: a.clock, store: storeB, logger: testLogger() });
      try {
        const t1 = await a.tokenFor(client);
        const t2 = await a.tokenFor(client);
        const jwtB = b.authMethods.get('jwt')!;
        assert.equal((await jwtB.authenticate(t1, { scopes: [] })).ok, true);
        assert.equal((await jwtB.authenticate(t2, { scopes: [] })).ok, true);
        await a.post('/oauth/revoke', { token: t1 }, { authorization: basic(client.clientId, client.clientSecret) });
        await b.storeSync.pass();
        assert.equal((await jwtB.authenticate(t1, { scopes: [] })).ok, false);
        assert.equal((await jwtB.authenticate(t2, { scopes: [] })).ok, true);
        a.clock.advance(10);
        await a.call('POST', `/admin/v1/clients/${client.clientId}/revoke-tokens`);
        await b.storeSync.pass();
        const outcome = await jwtB.authenticate(t2, { scopes: [] });
        assert.equal(!outcome.ok && outcome.code, 'TOKEN_REVOKED');
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});
