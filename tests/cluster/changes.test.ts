// Two nodes on one store and one Redis: what one node changes, the other applies from the change
// channel without waiting for its caches to expire (key cache TTL 1 h and OAuth store sync 1 h here,
// so nothing but the channel can explain the other node seeing a change).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { App } from '../../src/app.js';
import { parseChange } from '../../src/cluster/changes.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type OpenedStore, sqliteAdapter } from '../helpers/stores.js';
import { basic } from '../oauth/helpers.js';
import { deleteKeysUnder, type RedisProxy, randomPrefix, redisSkip, redisUrl, startRedisProxy } from '../ratelimit/redis-helpers.js';
import { actor, clusterNode, eventually } from './helpers.js';

test('change messages: malformed ones and our own are ignored', () => {
  const message = (node: string, change: unknown) => JSON.stringify({ node, change });
  assert.deepEqual(parseChange(message('b', { kind: 'key', hash: 'ab' }), 'a'), { kind: 'key', hash: 'ab' });
  assert.deepEqual(parseChange(message('b', { kind: 'token', jti: 'j', expiresAt: 5 }), 'a'), { kind: 'token', jti: 'j', expiresAt: 5 });
  assert.equal(parseChange(message('a', { kind: 'key', hash: 'ab' }), 'a'), undefined, 'our own');
  for (const bad of [
    '',
    'null',
    '[]',
    '{"node":"b"}',
    message('b', { kind: 'key' }),
    message('b', { kind: 'token', jti: 'j', expiresAt: 'soon' }),
    message('b', { kind: 'drop-tables' }),
    message('b', { kind: 'client', id: 'x'.repeat(300) }),
  ]) {
    assert.equal(parseChange(bad, 'a'), undefined, bad);
  }
});

describe('two nodes sharing Redis', { skip: redisSkip }, () => {
  let opened: OpenedStore;
  let proxy: RedisProxy;
  let a: App;
  let b: App;
  const prefix = randomPrefix();
  // Every message on the channel, read by a plain subscriber, and every secret the tests create.
  let watcher: Redis;
  const messages: string[] = [];
  const secrets: string[] = [];

  before(async () => {
    watcher = new Redis(redisUrl!);
    watcher.on('message', (_channel: string, message: string) => messages.push(message));
    await watcher.subscribe(`${prefix}changes`);
    opened = await sqliteAdapter.open();
    proxy = await startRedisProxy(redisUrl!);
    const masterKey = generateMasterKey();
    const node = (url: string) => clusterNode(opened.path!, masterKey, { redis: url, redisKeyPrefix: prefix, oauth: { syncInterval: '1h' } });
    a = await node(redisUrl!);
    b = await node(proxy.url); // B reaches Redis through a proxy the last test cuts
    // Wait until B's subscription is live: a change A makes before that would not reach it.
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
    await watcher?.quit();
    await a?.close();
    await b?.close();
    await proxy?.close();
    const redis = new Redis(redisUrl!);
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
    await opened?.cleanup();
  });

  test('a key revoked, then a consumer disabled, on A are refused by B while B had them cached', async () => {
    const consumer = await a.consumers.create({ name: 'shop', scopes: ['read'] }, actor);
    const first = await a.keys.create(consumer.id, {}, actor);
    const second = await a.keys.create(consumer.id, {}, actor);
    secrets.push(first.key, second.key);
    assert.equal((await b.verifyKey(first.key)).code, 'VALID');
    assert.equal((await b.verifyKey(second.key)).code, 'VALID');

    await a.keys.revoke(first.record.id, actor);
    await eventually('B refuses the revoked key', async () => (await b.verifyKey(first.key)).code === 'REVOKED');
    assert.equal((await b.verifyKey(second.key)).code, 'VALID', 'only that key');

    await a.consumers.update(consumer.id, { enabled: false }, actor);
    await eventually('B refuses the disabled consumer', async () => (await b.verifyKey(second.key)).code === 'DISABLED');
  });

  test('a token revoked, all tokens of a client revoked, and a signing-key rotation on A reach B', async () => {
    const consumer = await a.consumers.create({ name: 'api-client', scopes: ['read'] }, actor);
    const { client, secret } = await a.oauth.clients.create(consumer.id, { name: 'c' }, actor);
    const token = async () => {
      const outcome = await a.oauth.token({
        authorization: basic(client.id, secret!.secret),
        params: new Map([['grant_type', ['client_credentials']]]),
        ip: '127.0.0.1',
      });
      assert.ok(outcome.ok);
      return outcome.response.access_token;
    };
    const jwt = b.authMethods.get('jwt')!;
    const accepted = async (t: string) => (await jwt.authenticate(t, { scopes: [] })).ok;

    const one = await token();
    const two = await token();
    secrets.push(secret!.secret, one, two);
    assert.equal(await accepted(one), true);
    assert.equal(await accepted(two), true);
    const jti = JSON.parse(Buffer.from(one.split('.')[1]!, 'base64url').toString()).jti;
    await a.oauth.revoker.revokeByJti(jti, actor);
    await eventually('B refuses the revoked token', async () => !(await accepted(one)));
    assert.equal(await accepted(two), true);

    // Both nodes' clocks stand still: revoke-tokens covers tokens issued before its instant.
    await a.oauth.clients.revokeTokens(client.id, actor);
    await eventually('B refuses every earlier token of the client', async () => !(await accepted(two)));

    const rotated = await a.oauth.ring.rotate({ immediate: true }, actor);
    assert.ok(rotated);
    await eventually('B publishes the new key', () => b.oauth.jwks().keys.some((k) => k.kid === rotated.id));
  });

  test('after its subscription was cut, B drops its caches when it is back', async () => {
    const consumer = await a.consumers.create({ name: 'offline', scopes: ['read'] }, actor);
    const issued = await a.keys.create(consumer.id, {}, actor);
    assert.equal((await b.verifyKey(issued.key)).code, 'VALID');
    proxy.cut();
    await a.keys.revoke(issued.record.id, actor); // B cannot hear of this one
    assert.equal((await b.verifyKey(issued.key)).code, 'VALID', 'B still answers from its cache');
    proxy.restore();
    await eventually('B drops its caches on reconnect', async () => (await b.verifyKey(issued.key)).code === 'REVOKED');
  });

  test('no message on the channel carries a key, a client secret or a token', () => {
    assert.ok(messages.length >= 5, `the watcher heard the changes (${messages.length} messages)`);
    assert.ok(secrets.length >= 5);
    const text = messages.join('\n');
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), 'a secret went out on the change channel');
      // A token's signature, a key's random part: no copy of either in another form.
      assert.ok(!text.includes(secret.slice(-30)), 'part of a secret went out on the change channel');
    }
  });
});
