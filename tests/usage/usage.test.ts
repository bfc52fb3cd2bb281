// Usage counts: summed per minute in memory, written in batches, read back per bucket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestApp } from '../helpers/app.js';
import { storeAdapters } from '../helpers/stores.js';

for (const adapter of storeAdapters) {
  describe(`usage (${adapter.name})`, { skip: adapter.skip }, () => {
    test('N recorded requests come back as N, in the right buckets, after one batched write', async () => {
      const t = await createTestApp({ adapter });
      try {
        const start = Date.UTC(2026, 0, 15, 12, 0, 0);
        t.clock.set(start + 5_000);
        const consumer = 'con_0000000000000000000001';
        for (let i = 0; i < 7; i++) t.app.usage.record({ consumerId: consumer, credentialId: 'key_a', api: 'orders', status: 200 });
        t.app.usage.record({ consumerId: consumer, credentialId: 'key_a', api: 'orders', status: 404 });
        t.clock.set(start + 65_000); // the next minute
        for (let i = 0; i < 3; i++) t.app.usage.record({ consumerId: consumer, credentialId: 'key_b', api: 'billing', status: 201 });
        t.app.usage.record({ consumerId: 'con_0000000000000000000002', credentialId: 'key_c', api: 'orders', status: 503 });
        assert.equal(t.app.usage.pending, 4, 'four cells, not twelve rows');

        const queriesBefore = t.app.store.stats.queries;
        assert.equal(await t.app.usage.flush(), 4);
        assert.ok(t.app.store.stats.queries - queriesBefore <= 2, 'one batched write');
        // A second flush of the same minute adds to the stored counts.
        t.app.usage.record({ consumerId: consumer, credentialId: 'key_b', api: 'billing', status: 201 });
        await t.app.usage.flush();

        const range = `from=${new Date(start).toISOString()}&to=${new Date(start + 3_600_000).toISOString()}`;
        const minute = (await t.call('GET', `/admin/v1/usage?consumer=${consumer}&granularity=minute&${range}`)).body;
        assert.equal(minute.total, 12);
        assert.deepEqual(minute.counts, { '2xx': 11, '4xx': 1 });
        assert.deepEqual(
          minute.buckets.map((b: { start: string; total: number }) => [b.start, b.total]),
          [
            ['2026-01-15T12:00:00.000Z', 8],
            ['2026-01-15T12:01:00.000Z', 4],
          ],
        );
        const hour = (await t.call('GET', `/admin/v1/usage?consumer=${consumer}&granularity=hour&${range}`)).body;
        assert.deepEqual(hour.buckets, [{ start: '2026-01-15T12:00:00.000Z', total: 12, counts: { '2xx': 11, '4xx': 1 } }]);
        const byKey = (await t.call('GET', `/admin/v1/usage?key=key_b&granularity=day&${range}`)).body;
        assert.equal(byKey.total, 4);
        const byApi = (await t.call('GET', `/admin/v1/usage?api=orders&${range}`)).body;
        assert.deepEqual(byApi.counts, { '2xx': 7, '4xx': 1, '5xx': 1 });

        const bad = await t.call('GET', `/admin/v1/usage?granularity=minute&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
        assert.equal(bad.status, 400);
        const backwards = await t.call('GET', `/admin/v1/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`);
        assert.equal(backwards.body.code, 'INVALID_TIME');
      } finally {
        await t.close();
      }
    });

    test('a flush called while another is writing still writes what was recorded before it', async () => {
      const t = await createTestApp({ adapter });
      try {
        t.clock.set(Date.UTC(2026, 0, 15, 12, 0, 0));
        const event = { consumerId: 'con_0000000000000000000003', credentialId: 'key_f', api: 'orders', status: 200 };
        t.app.usage.record(event);
        const first = t.app.usage.flush(); // as the periodic flush would: its batch is taken, its write in flight
        t.app.usage.record(event);
        await t.app.usage.flush();
        const points = await t.app.store.queryUsage({ consumerId: event.consumerId, from: 0, to: Date.UTC(2027, 0, 1), granularityMs: 60_000 });
        assert.equal(
          points.reduce((n, p) => n + p.count, 0),
          2,
        );
        assert.equal(await first, 1);
      } finally {
        await t.close();
      }
    });

    test('counts older than the retention are pruned', async () => {
      const t = await createTestApp({ adapter, config: { usage: { retention: '1d' } } });
      try {
        const old = Date.UTC(2026, 0, 1);
        t.clock.set(old);
        t.app.usage.record({ consumerId: 'con_0000000000000000000003', credentialId: 'key_x', api: 'a', status: 200 });
        await t.app.usage.flush();
        t.clock.set(old + 3 * 86_400_000);
        t.app.usage.record({ consumerId: 'con_0000000000000000000003', credentialId: 'key_x', api: 'a', status: 200 });
        await t.app.usage.flush();
        const all = await t.app.store.queryUsage({ from: 0, to: old + 4 * 86_400_000, granularityMs: 86_400_000 });
        assert.deepEqual(
          all.map((p) => p.count),
          [1],
        );
      } finally {
        await t.close();
      }
    });
  });
}
