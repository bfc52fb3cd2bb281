// A signing key removed from the ring (immediate rotation: a compromised key) refuses its tokens at
// once and on every node — including the tokens a node's verified-token cache already holds. Each
// cached verdict is tied to the key that verified it. Nodes learn of the rotation from the change
// channel (Redis) or from their store sync (no Redis); caches here live for an hour, so nothing but
// those paths can explain a node refusing the token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { decodeProtectedHeader } from 'jose';
import type { App } from '../../src/app.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { actor, clusterNode, eventually } from '../cluster/helpers.js';
import { type OpenedStore, sqliteAdapter } from '../helpers/stores.js';
import { basic, createOAuthHarness, type OAuthHarness } from '../oauth/helpers.js';
import { deleteKeysUnder, randomPrefix, redisSkip, redisUrl } from '../ratelimit/redis-helpers.js';

describe('one node: an immediate rotation refuses cached tokens of the removed key', () => {
  let h: OAuthHarness;
  before(async () => {
    h = await createOAuthHarness();
  });
  after(async () => h?.close());

  test('a token verified and cached before the rotation is refused right after it (TOKEN_KEY_UNKNOWN)', async () => {
    const client = await h.createClient((await h.createConsumer()).id);
    const old = await h.tokenFor(client);
    assert.equal((await h.authenticate(old)).ok, true);
    assert.equal((await h.authenticate(old)).ok, true, 'answered from the verified-token cache');
    assert.ok(h.app.oauth.tokenCache.size > 0);

    const rotated = await h.call('POST', '/admin/v1/signing-keys/rotate', { immediate: true });
    assert.equal(rotated.status, 201);
    const outcome = await h.authenticate(old);
    assert.equal(!outcome.ok && outcome.code, 'TOKEN_KEY_UNKNOWN', JSON.stringify(outcome));
    // Also through introspection, which shares the evaluator.
    const introspected = await h.post('/oauth/introspect', { token: old }, { authorization: basic(client.clientId, client.clientSecret) });
    assert.equal(introspected.body.active, false);

    const fresh = await h.tokenFor(client);
    assert.equal(decodeProtectedHeader(fresh).kid, rotated.body.kid);
    assert.equal((await h.authenticate(fresh)).ok, true);
  });

  test('a normal (publish-before-use) rotation leaves cached tokens of the old key working', async () => {
    const client = await h.createClient((await h.createConsumer()).id);
    const token = await h.tokenFor(client);
    assert.equal((await h.authenticate(token)).ok, true);
    assert.equal((await h.call('POST', '/admin/v1/signing-keys/rotate', {})).status, 201);
    assert.equal((await h.authenticate(token)).ok, true);
    h.clock.advance(10 * 60_000);
    assert.equal((await h.authenticate(token)).ok, true, 'the retired key still verifies its tokens');
  });
});

/** A token of a new client of `node`'s consumer, issued by node A. */
async function issue(a: App, name: string): Promise<string> {
  const consumer = await a.consumers.create({ name, scopes: ['read'] }, actor);
  const { client, secret } = await a.oauth.clients.create(consumer.id, { name: 'c' }, actor);
  const outcome = await a.oauth.token({
    authorization: basic(client.id, secret!.secret),
    params: new Map([['grant_type', ['client_credentials']]]),
    ip: '127.0.0.1',
  });
  assert.ok(outcome.ok);
  return outcome.response.access_token;
}

const codeOn = async (node: App, token: string) => {
  const outcome = await node.authMethods.get('jwt')!.authenticate(token, { scopes: [] });
  return outcome.ok ? 'OK' : outcome.code;
};

describe('two nodes on one store, without Redis: the store sync carries the rotation', () => {
  let opened: OpenedStore;
  let a: App;
  let b: App;
  before(async () => {
    opened = await sqliteAdapter.open();
    const masterKey = generateMasterKey();
    a = await clusterNode(opened.path!, masterKey, { oauth: { syncInterval: '50ms' } });
    b = await clusterNode(opened.path!, masterKey, { oauth: { syncInterval: '50ms' } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await opened?.cleanup();
  });

  test('B refuses a token it had cached once A rotated immediately', async () => {
    const token = await issue(a, 'no-redis');
    assert.equal(await codeOn(b, token), 'OK');
    assert.equal(await codeOn(b, token), 'OK');
    await a.oauth.ring.rotate({ immediate: true }, actor);
    await eventually('B refuses the removed key’s token', async () => (await codeOn(b, token)) === 'TOKEN_KEY_UNKNOWN');
    assert.equal(await codeOn(a, token), 'TOKEN_KEY_UNKNOWN');
  });
});

describe('two nodes on one store and one Redis: the change channel carries the rotation', { skip: redisSkip }, () => {
  let opened: OpenedStore;
  let a: App;
  let b: App;
  const prefix = randomPrefix();
  before(async () => {
    opened = await sqliteAdapter.open();
    const masterKey = generateMasterKey();
    // The store sync runs once an hour here: only the channel can tell B.
    const node = () => clusterNode(opened.path!, masterKey, { redis: redisUrl, redisKeyPrefix: prefix, oauth: { syncInterval: '1h' } });
    a = await node();
    b = await node();
    const probe = await a.consumers.create({ name: 'probe', scopes: ['read'] }, actor);
    const { key } = await a.keys.create(probe.id, {}, actor);
    await eventually('B subscribed', async () => {
      await b.verifyKey(key);
      await a.consumers.update(probe.id, { metadata: { at: Date.now() } }, actor);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return !b.cache.size;
    });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    const redis = new Redis(redisUrl!);
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
    await opened?.cleanup();
  });

  test('B refuses a token it had cached once A rotated immediately', async () => {
    const token = await issue(a, 'with-redis');
    assert.equal(await codeOn(b, token), 'OK');
    assert.equal(await codeOn(b, token), 'OK');
    await a.oauth.ring.rotate({ immediate: true }, actor);
    await eventually('B refuses the removed key’s token', async () => (await codeOn(b, token)) === 'TOKEN_KEY_UNKNOWN');
  });
});
