// Key hygiene on SQLite and PostgreSQL: the maximum key lifetime on create, roll and update (global
// and per consumer), and the scheduler driven by the injected clock — key.expiring once per key and
// expiry, key.expired once, unused keys disabled (and dropped from the cache) once — plus the lease
// contract, and two schedulers on one PostgreSQL store recording each event exactly once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createAuditLog, SYSTEM_ACTOR } from '../../src/audit/log.js';
import { createConsumerService } from '../../src/consumers/service.js';
import { resolveHygieneRules } from '../../src/hygiene/policy.js';
import { createHygieneScheduler, HYGIENE_LEASE } from '../../src/hygiene/scheduler.js';
import { createKeyCache } from '../../src/keys/cache.js';
import { createKeyService } from '../../src/keys/service.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/logger.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { POSTGRES_URL, postgresAdapter, storeAdapters } from '../helpers/stores.js';

const DAY = 86_400_000;

for (const adapter of storeAdapters) {
  describe(`key hygiene (${adapter.name})`, { skip: adapter.skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ adapter, config: { hygiene: { maxKeyLifetime: '90d', warnBeforeExpiry: '7d', disableUnusedAfter: '30d' } } });
    });
    after(async () => t?.close());

    const consumer = async (body: Record<string, unknown> = {}) => {
      const response = await t.call('POST', '/admin/v1/consumers', { name: `c-${randomBytes(4).toString('hex')}`, ...body });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body;
    };
    const events = async (consumerId: string, action: string) =>
      (await t.app.store.listAuditEvents({ action, limit: 200 })).items.filter((e) => e.details.consumerId === consumerId);

    it('a key created or rolled without expiresAt gets the maximum lifetime; a longer or no expiry is a 400', async () => {
      const now = t.clock.now();
      const c = await consumer();
      const created = await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {});
      assert.equal(created.status, 201);
      assert.equal(created.body.expiresAt, new Date(now + 90 * DAY).toISOString());
      const tooLong = await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, { expiresAt: new Date(now + 91 * DAY).toISOString() });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.code, 'KEY_LIFETIME_TOO_LONG');
      assert.equal(tooLong.body.maxExpiresAt, new Date(now + 90 * DAY).toISOString());
      assert.equal((await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, { expiresAt: null })).body.code, 'KEY_LIFETIME_TOO_LONG');
      const shorter = await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, { expiresAt: new Date(now + DAY).toISOString() });
      assert.equal(shorter.status, 201);
      assert.equal(shorter.body.expiresAt, new Date(now + DAY).toISOString());

      t.clock.advance(10 * DAY);
      const rolled = await t.call('POST', `/admin/v1/keys/${created.body.id}/roll`, { expireOldInSeconds: 60 });
      assert.equal(rolled.status, 201);
      assert.equal(rolled.body.expiresAt, new Date(now + 100 * DAY).toISOString(), 'a rolled key’s lifetime starts at the roll');
      // Moving a key's expiry counts from its creation: a key cannot be kept alive past its maximum.
      const moved = await t.call('PATCH', `/admin/v1/keys/${created.body.id}`, { expiresAt: new Date(now + 95 * DAY).toISOString() });
      assert.equal(moved.body.code, 'KEY_LIFETIME_TOO_LONG');
      assert.equal((await t.call('PATCH', `/admin/v1/keys/${rolled.body.id}`, { expiresAt: null })).status, 400);
    });

    it('a consumer’s keyPolicy overrides the global rules, field by field; 0s turns a rule off', async () => {
      const now = t.clock.now();
      const short = await consumer({ keyPolicy: { maxKeyLifetime: '10d' } });
      assert.deepEqual(short.keyPolicy, { maxKeyLifetime: '10d' });
      assert.equal((await t.call('POST', `/admin/v1/consumers/${short.id}/keys`, {})).body.expiresAt, new Date(now + 10 * DAY).toISOString());
      const none = await consumer({ keyPolicy: { maxKeyLifetime: '0s' } });
      const forever = await t.call('POST', `/admin/v1/consumers/${none.id}/keys`, { expiresAt: null });
      assert.equal(forever.status, 201);
      assert.equal(forever.body.expiresAt, null);
      const bad = await t.call('PATCH', `/admin/v1/consumers/${none.id}`, { keyPolicy: { maxKeyLifetime: 'forever' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'VALIDATION_FAILED');
      const cleared = await t.call('PATCH', `/admin/v1/consumers/${none.id}`, { keyPolicy: null });
      assert.equal(cleared.body.keyPolicy, null);
    });

    it('the scheduler: key.expiring once per key and expiry, key.expired once, unused keys disabled once', async () => {
      const start = t.clock.now();
      // No maximum lifetime here, so that "never expires" and "unused" can be shown too.
      const c = await consumer({ keyPolicy: { maxKeyLifetime: '0s', warnBeforeExpiry: '7d', disableUnusedAfter: '30d' } });
      const create = async (expiresInDays: number | null) =>
        (
          await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {
            expiresAt: expiresInDays === null ? null : new Date(start + expiresInDays * DAY).toISOString(),
          })
        ).body;
      const soon = await create(5);
      const later = await create(20);
      const idle = await create(null);
      const busy = await create(null);
      assert.equal((await t.app.verifyKey(idle.key)).code, 'VALID', 'cached before it is disabled');

      const first = await t.app.hygiene.runOnce();
      assert.ok(first && first.expiring >= 1);
      assert.deepEqual(
        (await events(c.id, 'key.expiring')).map((e) => e.targetId),
        [soon.id],
      );
      await t.app.hygiene.runOnce();
      assert.equal((await events(c.id, 'key.expiring')).length, 1, 'once per key and expiry');
      const warned = (await events(c.id, 'key.expiring'))[0]!;
      assert.equal(warned.actor, 'system');
      assert.equal(warned.details.expiresAt, new Date(start + 5 * DAY).toISOString());
      assert.equal(warned.details.masked, soon.masked);

      // The expiry moved: a warning for the new one, in its own window.
      assert.equal((await t.call('PATCH', `/admin/v1/keys/${soon.id}`, { expiresAt: new Date(start + 6 * DAY).toISOString() })).status, 200);
      await t.app.hygiene.runOnce();
      assert.equal((await events(c.id, 'key.expiring')).length, 2);

      t.clock.set(start + 14 * DAY);
      await t.app.store.recordKeyUsage([{ id: busy.id, lastUsedAt: start + 13 * DAY }]);
      await t.app.hygiene.runOnce();
      await t.app.hygiene.runOnce();
      assert.deepEqual(
        (await events(c.id, 'key.expired')).map((e) => e.targetId),
        [soon.id],
      );
      assert.deepEqual((await events(c.id, 'key.expiring')).map((e) => e.targetId).sort(), [soon.id, soon.id, later.id].sort());

      t.clock.set(start + 31 * DAY);
      await t.app.hygiene.runOnce();
      await t.app.hygiene.runOnce();
      const disabled = await events(c.id, 'key.disabled_unused');
      assert.deepEqual(
        disabled.map((e) => e.targetId),
        [idle.id],
        'the busy key was used 18 days ago',
      );
      assert.equal(disabled[0]!.details.lastUsedAt, null);
      assert.equal((await t.app.store.getKey(idle.id))!.enabled, false);
      assert.equal((await t.app.verifyKey(idle.key)).code, 'DISABLED', 'the cached VALID answer was dropped');
      assert.deepEqual((await events(c.id, 'key.expired')).map((e) => e.targetId).sort(), [soon.id, later.id].sort());

      // The test's own admin key, unused for 31 days too, is not disabled: the global rule spares admin keys.
      assert.equal((await t.app.verifyKey(t.adminKey)).code, 'VALID');
      const adminKeyId = (await t.app.verifyKey(t.adminKey)).keyId;
      const adminDisabled = (await t.app.store.listAuditEvents({ action: 'key.disabled_unused', limit: 200 })).items.filter((e) => e.targetId === adminKeyId);
      assert.deepEqual(adminDisabled, []);

      // Enabled again by an operator, the idle key gets a new unused period from then.
      await t.app.keys.update(idle.id, { enabled: true }, { id: 'test', sourceIp: null });
      t.clock.set(start + 44 * DAY);
      await t.app.hygiene.runOnce();
      assert.deepEqual((await events(c.id, 'key.disabled_unused')).map((e) => e.targetId).sort(), [idle.id, busy.id].sort());
      assert.equal((await t.app.store.getKey(idle.id))!.enabled, true, 'not disabled again 13 days after it was enabled');
      assert.equal((await events(c.id, 'key.expiring')).length, 3);
      assert.equal((await events(c.id, 'key.expired')).length, 2);
    });

    it('leases: one holder at a time, renewed by it, free once expired or released', async () => {
      const store = t.app.store;
      const name = `test-${randomBytes(4).toString('hex')}`;
      assert.equal(await store.tryAcquireLease(name, 'a', 1000, 10_000), true);
      assert.equal(await store.tryAcquireLease(name, 'b', 1000, 10_500), false);
      assert.equal(await store.tryAcquireLease(name, 'a', 1000, 10_900), true, 'renewed until 11 900');
      assert.equal(await store.tryAcquireLease(name, 'b', 1000, 11_899), false);
      assert.equal(await store.tryAcquireLease(name, 'b', 1000, 11_900), true, 'expired: taken over');
      assert.equal(await store.tryAcquireLease(name, 'a', 1000, 12_000), false);
      await store.releaseLease(name, 'a');
      assert.equal(await store.tryAcquireLease(name, 'a', 1000, 12_000), false, 'only the holder releases');
      await store.releaseLease(name, 'b');
      assert.equal(await store.tryAcquireLease(name, 'a', 1000, 12_000), true);
    });
  });
}

describe('two hygiene schedulers on one PostgreSQL store', { skip: postgresAdapter.skip }, () => {
  const schema = `pcl_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  let nodes: Store[] = [];
  before(async () => {
    nodes = [openPostgresStore(POSTGRES_URL!, { schema, maxConnections: 4 }), openPostgresStore(POSTGRES_URL!, { schema, maxConnections: 4 })];
    await nodes[0]!.migrate();
  });
  after(async () => {
    for (const store of nodes) await store.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  it('each event is recorded exactly once, whichever node holds the lease', async () => {
    const start = Date.UTC(2026, 0, 1);
    const clock = createManualClock(start);
    const rules = resolveHygieneRules({ warnBeforeExpiry: '7d', disableUnusedAfter: '30d' });
    const log = createLogger('silent');
    const schedulers = nodes.map((store) =>
      createHygieneScheduler({ store, clock, audit: createAuditLog({ clock }), rules, log, intervalMs: 1000, onKeyDisabled: () => undefined }),
    );
    const store = nodes[0]!;
    // Seeded through the services, as the admin API would: a consumer and 30 keys.
    const audit = createAuditLog({ clock });
    const consumer = await createConsumerService({ store, clock, audit, onChange: () => undefined }).create({ name: 'shop' }, SYSTEM_ACTOR);
    const cache = createKeyCache({ maxEntries: 0, ttlMs: 0, negativeTtlMs: 0, now: () => clock.now() });
    const keys = createKeyService({ store, clock, audit, cache, prefix: 'pcl' });
    const keyIds: string[] = [];
    for (let i = 0; i < 30; i++) {
      // Every third never expires (and is disabled unused); the others expire over the next 20 days.
      const expiresAt = i % 3 === 0 ? null : start + (i % 20) * DAY + DAY;
      keyIds.push((await keys.create(consumer.id, { expiresAt }, SYSTEM_ACTOR)).record.id);
    }
    let ranBy = new Set<string>();
    // Steps longer than the lease (10 s) let it change hands; both nodes run at every step: at the
    // same time on even steps, one after the other on odd ones, the second node first every other
    // time (which node wins a race is the machine's choice; this makes sure the lease moves).
    for (let step = 0; step < 40; step++) {
      const runs =
        step % 2 === 0
          ? await Promise.all(schedulers.map((s) => s.runOnce()))
          : await (async () => {
              const order = step % 4 === 1 ? [1, 0] : [0, 1];
              const results: Array<Awaited<ReturnType<(typeof schedulers)[number]['runOnce']>>> = [null, null];
              for (const i of order) results[i] = await schedulers[i]!.runOnce();
              return results;
            })();
      assert.equal(runs.filter((r) => r !== null).length, 1, 'one node holds the lease at a time');
      ranBy = new Set([...ranBy, ...schedulers.filter((_, i) => runs[i] !== null).map((s) => s.holder)]);
      clock.advance(step % 2 === 0 ? 2 * DAY : 11_000);
    }
    const all = (await store.listAuditEvents({ limit: 500 })).items;
    const count = (action: string) => {
      const byKey = new Map<string, number>();
      for (const e of all.filter((x) => x.action === action)) byKey.set(e.targetId, (byKey.get(e.targetId) ?? 0) + 1);
      return byKey;
    };
    const expiring = count('key.expiring');
    const expired = count('key.expired');
    const disabled = count('key.disabled_unused');
    const expiringKeys = keyIds.filter((_, i) => i % 3 !== 0);
    const neverExpiring = keyIds.filter((_, i) => i % 3 === 0);
    assert.deepEqual([...expired.keys()].sort(), [...expiringKeys].sort());
    assert.ok([...expired.values()].every((n) => n === 1));
    assert.deepEqual([...expiring.keys()].sort(), [...expiringKeys].sort());
    assert.ok([...expiring.values()].every((n) => n === 1));
    assert.deepEqual([...disabled.keys()].sort(), [...neverExpiring].sort());
    assert.ok([...disabled.values()].every((n) => n === 1));
    assert.equal(ranBy.size, 2, 'the lease changed hands during the test');
    await Promise.all(schedulers.map((s) => s.stop()));
    assert.equal(await store.tryAcquireLease(HYGIENE_LEASE, 'third', 1000, clock.now()), true);
  });
});
