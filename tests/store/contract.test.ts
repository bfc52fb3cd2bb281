// One contract for the Store port, run against every adapter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PortcullisError } from '../../src/errors/codes.js';
import { newId } from '../../src/lib/ids.js';
import type { ConsumerRecord, KeyRecord, Store } from '../../src/store/types.js';
import { type OpenedStore, storeAdapters } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);

function consumer(name: string, extra: Partial<ConsumerRecord> = {}): ConsumerRecord {
  return {
    id: newId('con'),
    name,
    metadata: { plan: 'pro', nested: { a: [1, 2] } },
    scopes: ['orders:read'],
    enabled: true,
    externalIds: [],
    rateLimit: null,
    quota: null,
    allowedIps: [],
    keyPolicy: null,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

function key(consumerId: string, hash: string, extra: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: newId('key'),
    consumerId,
    name: 'k',
    hash,
    masked: 'pcl_abcd…wxyz',
    scopes: ['orders:read'],
    metadata: {},
    expiresAt: null,
    enabled: true,
    revokedAt: null,
    lastUsedAt: null,
    rateLimit: { limit: 5, window: '1m' },
    quota: { limit: 1000, period: 'month' },
    allowedIps: [],
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

for (const adapter of storeAdapters) {
  describe(`Store contract (${adapter.name})`, { skip: adapter.skip }, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await adapter.open();
      store = opened.store;
    });
    after(async () => opened?.cleanup());

    test('migrations are idempotent', async () => {
      assert.deepEqual(await store.migrate(), []);
      await store.ping();
    });

    test('consumers round-trip with JSON, booleans, times and external ids', async () => {
      const c = consumer('round-trip', {
        externalIds: ['b', 'a'],
        enabled: false,
        createdAt: 8_640_000_000_000,
        rateLimit: { limit: 100, window: '1m', by: 'consumer' },
        quota: { limit: 3, period: 'day' },
      });
      await store.insertConsumer(c);
      const got = await store.getConsumer(c.id);
      assert.deepEqual(got, { ...c, externalIds: ['a', 'b'] });
      assert.deepEqual(await store.findConsumerByName('round-trip'), got);
      assert.deepEqual(await store.findConsumerByExternalId('a'), got);
      assert.equal(await store.findConsumerByExternalId('nope'), undefined);
      assert.equal(await store.getConsumer('con_missing'), undefined);
    });

    test('unique name and external id conflicts are typed errors', async () => {
      await store.insertConsumer(consumer('unique', { externalIds: ['ext-1'] }));
      await assert.rejects(store.insertConsumer(consumer('unique')), (e) => e instanceof PortcullisError && e.code === 'CONSUMER_NAME_TAKEN');
      await assert.rejects(
        store.insertConsumer(consumer('other', { externalIds: ['ext-1'] })),
        (e) => e instanceof PortcullisError && e.code === 'EXTERNAL_ID_TAKEN',
      );
      const other = consumer('other2');
      await store.insertConsumer(other);
      await assert.rejects(
        store.updateConsumer(other.id, { name: 'unique', updatedAt: T0 }),
        (e) => e instanceof PortcullisError && e.code === 'CONSUMER_NAME_TAKEN',
      );
    });

    test('updates change only the given fields', async () => {
      const c = consumer('patch-me');
      await store.insertConsumer(c);
      const updated = await store.updateConsumer(c.id, { enabled: false, externalIds: ['x'], updatedAt: T0 + 5 });
      assert.equal(updated?.enabled, false);
      assert.deepEqual(updated?.metadata, c.metadata);
      assert.deepEqual(updated?.externalIds, ['x']);
      assert.equal(updated?.updatedAt, T0 + 5);
      assert.equal(await store.updateConsumer('con_missing', { updatedAt: T0 }), undefined);
    });

    test('ids sort by their bytes, so cursor pages are stable', async () => {
      const names = ['Zed', 'alpha', 'Beta', '0-zero'];
      const ids: string[] = [];
      for (const name of names) {
        const c = consumer(`sort-${name}`);
        ids.push(c.id);
        await store.insertConsumer(c);
      }
      const all: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listConsumers({ after, limit: 3 });
        all.push(...page.items.map((c) => c.id));
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      assert.deepEqual(
        all,
        [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      for (const id of ids) assert.ok(all.includes(id));
    });

    test('keys: find by hash joins the consumer; usage times never move backwards', async () => {
      const c = consumer('key-owner', { allowedIps: ['2001:db8::/32'], keyPolicy: { warnBeforeExpiry: '3d' } });
      await store.insertConsumer(c);
      const k = key(c.id, 'a'.repeat(64), { expiresAt: T0 + 1000, allowedIps: ['10.0.0.0/8', '192.0.2.1'] });
      await store.insertKey(k);
      const found = await store.findKeyByHash('a'.repeat(64));
      const { id, consumerId, scopes, metadata, expiresAt, enabled, revokedAt, rateLimit, quota, allowedIps } = k;
      assert.deepEqual(found?.key, { id, consumerId, scopes, metadata, expiresAt, enabled, revokedAt, rateLimit, quota, allowedIps });
      const owner = (await store.getConsumer(c.id))!;
      assert.deepEqual(owner.allowedIps, ['2001:db8::/32']);
      assert.deepEqual(owner.keyPolicy, { warnBeforeExpiry: '3d' });
      assert.deepEqual((await store.getKey(k.id))?.allowedIps, ['10.0.0.0/8', '192.0.2.1']);
      assert.deepEqual((await store.updateKey(k.id, { allowedIps: [], updatedAt: T0 + 1 }))?.allowedIps, []);
      assert.deepEqual((await store.findKeyByHash('a'.repeat(64)))?.key.allowedIps, []);
      assert.deepEqual(found?.consumer, {
        id: owner.id,
        name: owner.name,
        metadata: owner.metadata,
        scopes: owner.scopes,
        enabled: owner.enabled,
        rateLimit: owner.rateLimit,
        quota: owner.quota,
        allowedIps: owner.allowedIps,
        updatedAt: owner.updatedAt,
      });
      assert.equal(await store.findKeyByHash('b'.repeat(64)), undefined);

      await store.recordKeyUsage([{ id: k.id, lastUsedAt: T0 + 50 }]);
      await store.recordKeyUsage([{ id: k.id, lastUsedAt: T0 + 10 }]);
      assert.equal((await store.getKey(k.id))?.lastUsedAt, T0 + 50);

      const revoked = await store.updateKey(k.id, { revokedAt: T0 + 60, expiresAt: null, updatedAt: T0 + 60 });
      assert.equal(revoked?.revokedAt, T0 + 60);
      assert.equal(revoked?.expiresAt, null);
      assert.deepEqual(await store.listKeyHashesOfConsumer(c.id), ['a'.repeat(64)]);
      const listed = await store.listKeys(c.id, { limit: 10 });
      assert.equal(listed.items.length, 1);
      assert.equal(listed.nextCursor, null);
    });

    test('changed targets since a time come from the audit log; key ids map to their hashes', async () => {
      const c = consumer('audited');
      await store.insertConsumer(c);
      const k = key(c.id, 'd'.repeat(64));
      await store.insertKey(k);
      const event = (at: number, type: 'key' | 'consumer' | 'token', id: string) => ({
        id: newId('evt', at),
        at,
        actor: 'test',
        action: `${type}.updated`,
        targetType: type,
        targetId: id,
        sourceIp: null,
        details: {},
      });
      await store.insertAuditEvent(event(T0 + 1_000, 'key', k.id));
      const consumerEvent = event(T0 + 2_000, 'consumer', c.id);
      await store.insertAuditEvent(consumerEvent);
      await store.insertAuditEvent(event(T0 + 3_000, 'token', 'jti-1'));
      const since = await store.listChangedTargetsSince(T0 + 1_500, ['key', 'consumer']);
      assert.deepEqual(since, [{ eventId: consumerEvent.id, type: 'consumer', id: c.id }]);
      const all = await store.listChangedTargetsSince(T0 + 500, ['key', 'consumer']);
      assert.deepEqual(all.map((t) => t.type).sort(), ['consumer', 'key']);
      assert.deepEqual(await store.listKeyHashes([k.id, 'key_unknown']), ['d'.repeat(64)]);
      assert.deepEqual(await store.listKeyHashes([]), []);
    });

    test('deleting a consumer deletes its keys and external ids', async () => {
      const c = consumer('doomed', { externalIds: ['doomed-ext'] });
      await store.insertConsumer(c);
      await store.insertKey(key(c.id, 'c'.repeat(64)));
      assert.equal(await store.deleteConsumer(c.id), true);
      assert.equal(await store.deleteConsumer(c.id), false);
      assert.equal(await store.findKeyByHash('c'.repeat(64)), undefined);
      assert.equal(await store.findConsumerByExternalId('doomed-ext'), undefined);
    });

    test('a failed transaction leaves nothing behind', async () => {
      const c = consumer('rolled-back');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertConsumer(c);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await store.getConsumer(c.id), undefined);
    });

    test('audit events: newest first, filters, cursor', async () => {
      for (let i = 0; i < 5; i++) {
        await store.insertAuditEvent({
          id: newId('evt', T0 + i),
          at: T0 + i,
          actor: i % 2 ? 'key_a' : 'key_b',
          action: 'consumer.updated',
          targetType: 'consumer',
          targetId: 'con_audit',
          sourceIp: '127.0.0.1',
          details: { i },
        });
      }
      const first = await store.listAuditEvents({ targetId: 'con_audit', limit: 2 });
      assert.deepEqual(
        first.items.map((e) => e.details.i),
        [4, 3],
      );
      const second = await store.listAuditEvents({ targetId: 'con_audit', limit: 10, after: first.nextCursor! });
      assert.deepEqual(
        second.items.map((e) => e.details.i),
        [2, 1, 0],
      );
      const byActor = await store.listAuditEvents({ targetId: 'con_audit', actor: 'key_a', limit: 10 });
      assert.deepEqual(
        byActor.items.map((e) => e.details.i),
        [3, 1],
      );
      const window = await store.listAuditEvents({ targetId: 'con_audit', from: T0 + 1, to: T0 + 3, limit: 10 });
      assert.deepEqual(
        window.items.map((e) => e.details.i),
        [2, 1],
      );
    });

    test("audit events: a consumer's trail holds its own, its keys' and its clients' events, no one else's", async () => {
      const mine = consumer('trail-mine');
      const other = consumer('trail-other');
      await store.insertConsumer(mine);
      await store.insertConsumer(other);
      const myKey = key(mine.id, `h-${newId('key')}`);
      const otherKey = key(other.id, `h-${newId('key')}`);
      await store.insertKey(myKey);
      await store.insertKey(otherKey);
      const client = (consumerId: string) => ({
        id: newId('cli'),
        consumerId,
        name: 'c',
        scopes: [],
        audiences: [],
        tokenTtlSeconds: 60,
        authMethods: ['client_secret_basic' as const],
        jwks: null,
        enabled: true,
        tokensRevokedBefore: null,
        rateLimit: null,
        quota: null,
        allowedIps: [],
        createdAt: T0,
        updatedAt: T0,
      });
      const myClient = client(mine.id);
      await store.insertClient(myClient);
      await store.insertClient(client(other.id));
      const targets: Array<[string, string]> = [
        ['consumer', mine.id],
        ['consumer', other.id],
        ['key', myKey.id],
        ['key', otherKey.id],
        ['client', myClient.id],
        // An id that is another consumer's: only the consumer target type counts.
        ['key', mine.id],
      ];
      for (const [i, [type, id]] of targets.entries()) {
        await store.insertAuditEvent({
          id: newId('evt', T0 + i),
          at: T0 + i,
          actor: 'x',
          action: 'a',
          targetType: type,
          targetId: id,
          sourceIp: null,
          details: {},
        });
      }
      const trail = await store.listAuditEvents({ consumerId: mine.id, limit: 50 });
      assert.deepEqual(
        trail.items.map((e) => e.targetId),
        [myClient.id, myKey.id, mine.id],
      );
    });

    test('consumers: search by id or by a name fragment, wildcards matched as themselves', async () => {
      const found = consumer(`Search_Target 100%`);
      await store.insertConsumer(found);
      await store.insertConsumer(consumer('searchXtarget'));
      const names = async (search: string) => (await store.listConsumers({ search, limit: 50 })).items.map((c) => c.name);
      assert.deepEqual(await names('search_target'), ['Search_Target 100%'], 'case-insensitive; _ is not a wildcard');
      assert.deepEqual(await names('100%'), ['Search_Target 100%']);
      assert.deepEqual(await names(found.id), ['Search_Target 100%']);
      assert.deepEqual(await names('no such name'), []);
    });

    test('the query counter counts statements', async () => {
      const before = store.stats.queries;
      await store.getKey('key_missing');
      assert.ok(store.stats.queries > before);
    });
  });
}
