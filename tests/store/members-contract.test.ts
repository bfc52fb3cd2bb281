// The portal's part of the Store contract (users, memberships, sessions, one-time tokens, outbox),
// run against every adapter (SQLite; PostgreSQL when PORTCULLIS_TEST_POSTGRES_URL is set).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/lib/ids.js';
import type { PortalUserRecord } from '../../src/store/members-types.js';
import type { Store } from '../../src/store/types.js';
import { type OpenedStore, storeAdapters } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);

function user(email: string, extra: Partial<PortalUserRecord> = {}): PortalUserRecord {
  return { id: newId('usr', T0), email, passwordHash: null, operator: false, emailVerified: false, disabled: false, createdAt: T0, updatedAt: T0, ...extra };
}

for (const adapter of storeAdapters) {
  describe(`members store contract (${adapter.name})`, { skip: adapter.skip }, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await adapter.open();
      store = opened.store;
    });
    after(async () => opened?.cleanup());

    test('users: one per email in any case; round-trip of flags; operators listed', async () => {
      const ada = user('Ada@Example.com', { passwordHash: '$argon2id$x' });
      assert.equal(await store.insertPortalUser(ada), true);
      assert.equal(await store.insertPortalUser(user('ada@EXAMPLE.com')), false);
      assert.deepEqual(await store.findPortalUserByEmail('ADA@example.COM'), ada);
      assert.deepEqual(await store.getPortalUser(ada.id), ada);
      const changed = await store.updatePortalUser(ada.id, { operator: true, emailVerified: true, disabled: true, passwordHash: null, updatedAt: T0 + 1 });
      assert.deepEqual(changed, { ...ada, operator: true, emailVerified: true, disabled: true, passwordHash: null, updatedAt: T0 + 1 });
      assert.deepEqual(
        (await store.listOperators()).map((u) => u.id),
        [ada.id],
      );
    });

    test('memberships: one per user; listed with emails; role change; delete; gone with their consumer', async () => {
      const consumer = {
        id: newId('con', T0),
        name: 'members-org',
        metadata: {},
        scopes: [],
        enabled: true,
        externalIds: [],
        rateLimit: null,
        quota: null,
        allowedIps: [],
        keyPolicy: null,
        createdAt: T0,
        updatedAt: T0,
      };
      await store.insertConsumer(consumer);
      const u1 = user('one@example.com');
      const u2 = user('two@example.com');
      await store.insertPortalUser(u1);
      await store.insertPortalUser(u2);
      const m1 = { id: newId('mem', T0), userId: u1.id, consumerId: consumer.id, role: 'owner' as const, createdAt: T0 };
      const m2 = { id: newId('mem', T0 + 1), userId: u2.id, consumerId: consumer.id, role: 'developer' as const, createdAt: T0 + 1 };
      assert.equal(await store.insertMembership(m1), true);
      assert.equal(await store.insertMembership(m2), true);
      assert.equal(await store.insertMembership({ ...m1, id: newId('mem', T0 + 2) }), false);
      assert.deepEqual(await store.getMembershipOfUser(u2.id), m2);
      assert.deepEqual(await store.listMembers(consumer.id), [
        { ...m1, email: 'one@example.com', disabled: false },
        { ...m2, email: 'two@example.com', disabled: false },
      ]);
      assert.equal(await store.transaction((tx) => tx.countOwnersLocked(consumer.id)), 1);
      assert.equal(await store.updateMembershipRole(m2.id, 'owner'), true);
      assert.equal((await store.getMembershipOfUser(u2.id))?.role, 'owner');
      assert.equal(await store.transaction((tx) => tx.countOwnersLocked(consumer.id)), 2);
      // The lock writes nothing: the consumer is as it was.
      assert.equal((await store.getConsumer(consumer.id))?.updatedAt, T0);
      assert.equal(await store.deleteMembership(m2.id), true);
      assert.equal(await store.deleteMembership(m2.id), false);
      await store.insertOneTimeToken({
        hash: 'h-consumer',
        kind: 'invitation',
        email: 'x@example.com',
        userId: null,
        consumerId: consumer.id,
        role: 'owner',
        operator: false,
        createdAt: T0,
        expiresAt: T0 + 1000,
        usedAt: null,
      });
      await store.deleteConsumer(consumer.id);
      assert.deepEqual(await store.listMembers(consumer.id), []);
      assert.equal(await store.consumeOneTimeToken('h-consumer', 'invitation', T0), undefined);
    });

    test('sessions: found by hash, touched forwards only, revoked one by one or all of a user, pruned', async () => {
      const u = user('sessions@example.com');
      await store.insertPortalUser(u);
      const s1 = { idHash: 'a'.repeat(64), userId: u.id, csrfToken: 'csrf1', createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 1000, revokedAt: null };
      const s2 = { ...s1, idHash: 'b'.repeat(64), csrfToken: 'csrf2' };
      await store.insertSession(s1);
      await store.insertSession(s2);
      assert.deepEqual(await store.findSession(s1.idHash), s1);
      await store.touchSession(s1.idHash, T0 + 50);
      await store.touchSession(s1.idHash, T0 + 10);
      assert.equal((await store.findSession(s1.idHash))?.lastSeenAt, T0 + 50);
      await store.revokeSession(s1.idHash, T0 + 60);
      assert.equal((await store.findSession(s1.idHash))?.revokedAt, T0 + 60);
      assert.equal(await store.revokeSessionsOfUser(u.id, T0 + 70), 1);
      assert.equal((await store.findSession(s2.idHash))?.revokedAt, T0 + 70);
      assert.equal(await store.deleteSessionsEndedBefore(T0 + 65), 1);
      assert.equal(await store.findSession(s1.idHash), undefined);
    });

    test('one-time tokens: consumed once, of their kind only, before they expire; racing consumers get one answer', async () => {
      const base = {
        kind: 'reset' as const,
        email: 'r@example.com',
        userId: 'usr_x',
        consumerId: null,
        role: null,
        operator: false,
        createdAt: T0,
        expiresAt: T0 + 1000,
        usedAt: null,
      };
      await store.insertOneTimeToken({ ...base, hash: 'h1' });
      await store.insertOneTimeToken({ ...base, hash: 'h2' });
      assert.equal(await store.consumeOneTimeToken('h1', 'invitation', T0), undefined);
      assert.equal(await store.consumeOneTimeToken('h1', 'reset', T0 + 1000), undefined);
      const results = await Promise.all([1, 2, 3, 4].map(() => store.consumeOneTimeToken('h1', 'reset', T0 + 5)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(results.find(Boolean), { ...base, hash: 'h1', usedAt: T0 + 5 });
      assert.equal(await store.consumeOneTimeToken('h1', 'reset', T0 + 6), undefined);
      assert.ok(await store.consumeOneTimeToken('h2', 'reset', T0 + 999));
    });

    test('outbox: newest first, paged', async () => {
      for (let i = 0; i < 3; i++)
        await store.insertOutboxMessage({ id: newId('msg', T0 + i), recipient: `m${i}@example.com`, subject: `s${i}`, text: `t${i}`, createdAt: T0 + i });
      const first = await store.listOutboxMessages({ limit: 2 });
      assert.deepEqual(
        first.items.map((m) => m.recipient),
        ['m2@example.com', 'm1@example.com'],
      );
      const second = await store.listOutboxMessages({ limit: 2, after: first.nextCursor! });
      assert.deepEqual(
        second.items.map((m) => m.subject),
        ['s0'],
      );
      assert.equal(second.nextCursor, null);
    });
  });
}
