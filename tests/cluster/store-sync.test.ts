// Two nodes on one store and no Redis: what one node changes, the other reads from the store on its
// next sync (`oauth.syncInterval`, 50 ms here). Caches live for an hour in this test, so nothing but
// the sync can explain the other node seeing a change.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.js';
import { hashKey } from '../../src/keys/format.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type OpenedStore, sqliteAdapter } from '../helpers/stores.js';
import { basic } from '../oauth/helpers.js';
import { actor, clusterNode, eventually } from './helpers.js';

describe('two nodes sharing a store, without Redis', () => {
  let opened: OpenedStore;
  let a: App;
  let b: App;

  before(async () => {
    opened = await sqliteAdapter.open();
    const masterKey = generateMasterKey();
    const node = () => clusterNode(opened.path!, masterKey, { keys: { cache: { negativeTtl: '1h' } }, oauth: { syncInterval: '50ms' } });
    a = await node();
    b = await node();
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await opened?.cleanup();
  });

  test('a revoked key, a deleted consumer and a deleted client reach the other node on its next sync', async () => {
    const shop = await a.consumers.create({ name: 'shop', scopes: ['read'] }, actor);
    const kept = await a.keys.create(shop.id, {}, actor);
    const revoked = await a.keys.create(shop.id, {}, actor);
    const doomed = await a.consumers.create({ name: 'doomed', scopes: ['read'] }, actor);
    const orphan = await a.keys.create(doomed.id, {}, actor);
    for (const key of [kept.key, revoked.key, orphan.key]) assert.equal((await b.verifyKey(key)).code, 'VALID');

    await a.keys.revoke(revoked.record.id, actor);
    await eventually('B refuses the revoked key', async () => (await b.verifyKey(revoked.key)).code === 'REVOKED');
    await a.consumers.delete(doomed.id, actor);
    await eventually('B forgets the deleted consumer’s key', async () => (await b.verifyKey(orphan.key)).code === 'NOT_FOUND');
    assert.equal((await b.verifyKey(kept.key)).code, 'VALID');

    const { client, secret } = await a.oauth.clients.create(shop.id, { name: 'c' }, actor);
    const issued = await a.oauth.token({
      authorization: basic(client.id, secret!.secret),
      params: new Map([['grant_type', ['client_credentials']]]),
      ip: '127.0.0.1',
    });
    assert.ok(issued.ok);
    const jwt = b.authMethods.get('jwt')!;
    assert.equal((await jwt.authenticate(issued.response.access_token, { scopes: [] })).ok, true);
    await a.oauth.clients.delete(client.id, actor);
    await eventually('B refuses the deleted client’s token', async () => !(await jwt.authenticate(issued.response.access_token, { scopes: [] })).ok);
  });

  test('allowlist changes made on one node reach the other node’s cached key and token on its next sync', async () => {
    const shop = await a.consumers.create({ name: 'listed', scopes: ['read'] }, actor);
    const issuedKey = await a.keys.create(shop.id, {}, actor);
    const { client, secret } = await a.oauth.clients.create(shop.id, { name: 'c' }, actor);
    const issued = await a.oauth.token({
      authorization: basic(client.id, secret!.secret),
      params: new Map([['grant_type', ['client_credentials']]]),
      ip: '127.0.0.1',
    });
    assert.ok(issued.ok);
    const jwt = b.authMethods.get('jwt')!;
    // Whether B, from its cache, would let each credential in from 192.0.2.1.
    const keyAllowed = async () => (await b.verifyKey(issuedKey.key)).allowlist?.allows('192.0.2.1') ?? true;
    const tokenAllowed = async () => {
      const outcome = await jwt.authenticate(issued.response.access_token, { scopes: [] });
      return outcome.ok && (outcome.identity.allowlist?.allows('192.0.2.1') ?? true);
    };
    assert.equal(await keyAllowed(), true);
    assert.equal(await tokenAllowed(), true);
    await a.keys.update(issuedKey.record.id, { allowedIps: ['10.0.0.0/8'] }, actor);
    await eventually('B’s cached key carries the key’s new list', async () => !(await keyAllowed()));
    assert.equal(await tokenAllowed(), true, 'the key’s list is the key’s alone');
    await a.consumers.update(shop.id, { allowedIps: ['10.0.0.0/8'] }, actor);
    await eventually('B’s cached token carries the consumer’s new list', async () => !(await tokenAllowed()));
  });

  test('a change is acted on once: later syncs reading over it again leave the re-cached key alone', async () => {
    const shop = await a.consumers.create({ name: 'steady', scopes: ['read'] }, actor);
    const { key } = await a.keys.create(shop.id, {}, actor);
    assert.equal((await b.verifyKey(key)).code, 'VALID');
    await a.consumers.update(shop.id, { metadata: { plan: 'gold' } }, actor);
    await eventually('B sees the new metadata', async () => (await b.verifyKey(key)).consumer?.metadata.plan === 'gold');
    // Each sync reads back over the last few seconds; ten syncs later the entry must still be cached.
    const seen = b.storeSync.passes;
    await eventually('B syncs ten more times', () => b.storeSync.passes >= seen + 10);
    assert.notEqual(b.cache.get(hashKey(key)), undefined);
  });
});
