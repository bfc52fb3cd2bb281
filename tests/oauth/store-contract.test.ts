// The OAuth part of the Store contract, run against every adapter (SQLite; PostgreSQL when
// PORTCULLIS_TEST_POSTGRES_URL is set, in a schema of its own).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/lib/ids.js';
import type { OAuthClientRecord, SigningKeyRecord } from '../../src/store/oauth-types.js';
import type { ConsumerRecord, Store } from '../../src/store/types.js';
import { type OpenedStore, storeAdapters } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);

function consumer(name: string): ConsumerRecord {
  return {
    id: newId('con'),
    name,
    metadata: {},
    scopes: ['a', 'b'],
    enabled: true,
    externalIds: [],
    rateLimit: null,
    quota: null,
    allowedIps: [],
    keyPolicy: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

function client(consumerId: string, extra: Partial<OAuthClientRecord> = {}): OAuthClientRecord {
  return {
    id: newId('cli'),
    consumerId,
    name: 'c',
    scopes: ['a'],
    audiences: ['urn:x', 'https://api.example.com'],
    tokenTtlSeconds: 3600,
    authMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: null,
    enabled: true,
    tokensRevokedBefore: null,
    rateLimit: { limit: 10, window: '1s', by: 'credential' },
    quota: null,
    allowedIps: [],
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

for (const adapter of storeAdapters) {
  describe(`OAuth store contract (${adapter.name})`, { skip: adapter.skip }, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await adapter.open();
      store = opened.store;
    });
    after(async () => opened?.cleanup());

    test('clients round-trip with JSON, booleans and times; list pages by id', async () => {
      const owner = consumer('client-owner');
      await store.insertConsumer(owner);
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k' }] };
      const c = client(owner.id, { authMethods: ['private_key_jwt'], jwks, enabled: false, tokensRevokedBefore: 8_640_000_000_000 });
      await store.insertClient(c);
      assert.deepEqual(await store.getClient(c.id), c);
      const others = [client(owner.id), client(owner.id)];
      for (const o of others) await store.insertClient(o);
      const first = await store.listClients(owner.id, { limit: 2 });
      assert.equal(first.items.length, 2);
      const second = await store.listClients(owner.id, { after: first.nextCursor!, limit: 2 });
      assert.equal(second.items.length, 1);
      assert.equal(second.nextCursor, null);
      const all = [...first.items, ...second.items].map((x) => x.id);
      assert.deepEqual(all, [...all].sort());
      assert.equal(await store.getClient('cli_missing'), undefined);
    });

    test('auth methods: both secret methods, or one (as every row written before there were two), round-trip and patch', async () => {
      const owner = consumer('methods-owner');
      await store.insertConsumer(owner);
      const both = client(owner.id);
      const pinned = client(owner.id, { authMethods: ['client_secret_basic'] });
      await store.insertClient(both);
      await store.insertClient(pinned);
      assert.deepEqual((await store.getClient(both.id))?.authMethods, ['client_secret_basic', 'client_secret_post']);
      assert.deepEqual((await store.getClient(pinned.id))?.authMethods, ['client_secret_basic']);
      const repinned = await store.updateClient(both.id, { authMethods: ['client_secret_post'], updatedAt: T0 + 1 });
      assert.deepEqual(repinned?.authMethods, ['client_secret_post']);
      const unpinned = await store.updateClient(pinned.id, { authMethods: ['client_secret_basic', 'client_secret_post'], updatedAt: T0 + 1 });
      assert.deepEqual(unpinned?.authMethods, ['client_secret_basic', 'client_secret_post']);
      assert.deepEqual((await store.findClientWithSecrets(pinned.id))?.client.authMethods, ['client_secret_basic', 'client_secret_post']);
    });

    test('updates change only the given fields and report changes since a time', async () => {
      const owner = consumer('patch-owner');
      await store.insertConsumer(owner);
      const c = client(owner.id);
      await store.insertClient(c);
      const updated = await store.updateClient(c.id, { enabled: false, tokensRevokedBefore: T0 + 9, updatedAt: T0 + 10 });
      assert.equal(updated?.enabled, false);
      assert.equal(updated?.tokensRevokedBefore, T0 + 9);
      assert.deepEqual(updated?.audiences, c.audiences);
      assert.equal(await store.updateClient('cli_missing', { updatedAt: T0 }), undefined);
      assert.equal(updated?.updatedAt, T0 + 10);
      assert.equal((await store.getClient(c.id))?.updatedAt, T0 + 10);
    });

    test('secrets: find with the client and consumer, expire all but the new one, prune expired', async () => {
      const owner = consumer('secret-owner');
      await store.insertConsumer(owner);
      const c = client(owner.id);
      await store.insertClient(c);
      const s1 = { id: newId('sec', T0 + 1), clientId: c.id, hash: '1'.repeat(64), masked: 'pcs_1…', expiresAt: null, createdAt: T0 };
      const s2 = { id: newId('sec', T0 + 2), clientId: c.id, hash: '2'.repeat(64), masked: 'pcs_2…', expiresAt: T0 + 50, createdAt: T0 };
      const s3 = { id: newId('sec', T0 + 3), clientId: c.id, hash: '3'.repeat(64), masked: 'pcs_3…', expiresAt: null, createdAt: T0 };
      for (const s of [s1, s2, s3]) await store.insertClientSecret(s);
      await store.expireClientSecrets(c.id, T0 + 100, s3.id);
      const found = await store.findClientWithSecrets(c.id);
      assert.equal(found?.consumer.id, owner.id);
      assert.deepEqual(
        found?.secrets.map((s) => [s.hash[0], s.expiresAt]),
        [
          ['1', T0 + 100],
          ['2', T0 + 50],
          ['3', null],
        ],
      );
      assert.equal(await store.deleteClientSecretsExpiredBefore(T0 + 60), 1);
      assert.equal((await store.listClientSecrets(c.id)).length, 2);
      assert.equal(await store.findClientWithSecrets('cli_missing'), undefined);
    });

    test('deleting a client deletes its secrets; deleting a consumer deletes its clients', async () => {
      const owner = consumer('delete-owner');
      await store.insertConsumer(owner);
      const c1 = client(owner.id);
      const c2 = client(owner.id);
      await store.insertClient(c1);
      await store.insertClient(c2);
      await store.insertClientSecret({ id: newId('sec'), clientId: c1.id, hash: 'a'.repeat(64), masked: 'm', expiresAt: null, createdAt: T0 });
      await store.insertClientSecret({ id: newId('sec'), clientId: c2.id, hash: 'b'.repeat(64), masked: 'm', expiresAt: null, createdAt: T0 });
      assert.equal(await store.deleteClient(c1.id), true);
      assert.equal(await store.deleteClient(c1.id), false);
      assert.deepEqual(await store.listClientSecrets(c1.id), []);
      assert.equal(await store.deleteConsumer(owner.id), true);
      assert.equal(await store.getClient(c2.id), undefined);
      assert.deepEqual(await store.listClientSecrets(c2.id), []);
    });

    test('signing keys: insert, list oldest first, schedule out, prune removed', async () => {
      const key = (activatesAt: number): SigningKeyRecord => ({
        id: newId('sk', activatesAt),
        alg: 'ES256',
        publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k', alg: 'ES256', use: 'sig' },
        privateKeySealed: 'v1.a.b.c',
        createdAt: activatesAt,
        activatesAt,
        retiresAt: null,
        removeAfter: null,
      });
      const k1 = key(T0 + 2);
      const k2 = key(T0 + 1);
      await store.insertSigningKey(k1);
      await store.insertSigningKey(k2);
      assert.deepEqual(
        (await store.listSigningKeys()).map((k) => k.id),
        [k2.id, k1.id],
      );
      const updated = await store.updateSigningKey(k2.id, { retiresAt: T0 + 5, removeAfter: T0 + 10 });
      assert.deepEqual([updated?.retiresAt, updated?.removeAfter], [T0 + 5, T0 + 10]);
      assert.deepEqual(await store.listSigningKeys().then((l) => l.find((k) => k.id === k1.id)), k1);
      assert.equal(await store.deleteSigningKeysRemovedBefore(T0 + 10), 0);
      assert.equal(await store.deleteSigningKeysRemovedBefore(T0 + 11), 1);
      assert.deepEqual(
        (await store.listSigningKeys()).map((k) => k.id),
        [k1.id],
      );
    });

    test('revoked tokens: idempotent insert, find, list since, prune expired', async () => {
      const e = { jti: 'jti-1', clientId: 'cli_x', expiresAt: T0 + 1000, revokedAt: T0 + 10 };
      await store.insertRevokedToken(e);
      await store.insertRevokedToken({ ...e, revokedAt: T0 + 20 });
      assert.deepEqual(await store.findRevokedToken('jti-1'), e);
      await store.insertRevokedToken({ jti: 'jti-2', clientId: 'cli_x', expiresAt: T0 + 50, revokedAt: T0 + 30 });
      assert.deepEqual((await store.listRevokedTokensSince(T0 + 10, T0)).map((r) => r.jti).sort(), ['jti-1', 'jti-2']);
      assert.deepEqual(
        (await store.listRevokedTokensSince(T0 + 11, T0)).map((r) => r.jti),
        ['jti-2'],
      );
      assert.deepEqual(
        (await store.listRevokedTokensSince(0, T0 + 60)).map((r) => r.jti),
        ['jti-1'],
        'expired entries are not listed',
      );
      assert.equal(await store.deleteRevokedTokensExpiredBefore(T0 + 60), 1);
      assert.equal(await store.findRevokedToken('jti-2'), undefined);
    });

    test('assertion jtis: the first use records, the second is a replay; per client', async () => {
      assert.equal(await store.recordAssertionJti('cli_a', 'j1', T0 + 100), true);
      assert.equal(await store.recordAssertionJti('cli_a', 'j1', T0 + 100), false);
      assert.equal(await store.recordAssertionJti('cli_b', 'j1', T0 + 100), true);
      assert.equal(await store.deleteAssertionJtisExpiredBefore(T0 + 101), 2);
      assert.equal(await store.recordAssertionJti('cli_a', 'j1', T0 + 200), true);
    });

    test('a transaction rolls OAuth writes back', async () => {
      const owner = consumer('tx-owner');
      await store.insertConsumer(owner);
      const c = client(owner.id);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertClient(c);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await store.getClient(c.id), undefined);
    });
  });
}
