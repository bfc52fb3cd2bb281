// The verify pipeline's cost guarantees: a malformed key costs no store query, a cached key costs
// none either, and a change made through this process is seen at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKey } from '../../src/keys/format.js';
import { createTestApp } from '../helpers/app.js';

test('a malformed key costs zero store queries', async () => {
  const t = await createTestApp();
  try {
    const consumer = await t.app.consumers.create({ name: 'c', scopes: [] }, { id: 'test', sourceIp: null });
    const { key } = await t.app.keys.create(consumer.id, {}, { id: 'test', sourceIp: null });
    const malformed = [
      '',
      'pcl_',
      key.slice(0, -1),
      `${key}x`,
      `${key.slice(0, -1)}${key.at(-1) === '0' ? '1' : '0'}`,
      key.replace('pcl_', 'xyz_'),
      `pcl_${'!'.repeat(36)}`,
      `Bearer ${key}`,
      '\u0000'.repeat(40),
      'ü'.repeat(40),
    ];
    const before = t.app.store.stats.queries;
    for (const candidate of malformed) {
      assert.equal((await t.app.verifyKey(candidate)).code, 'MALFORMED', JSON.stringify(candidate));
    }
    assert.equal(t.app.store.stats.queries, before);
  } finally {
    await t.close();
  }
});

test('cached keys and known-unknown keys cost no query; changes invalidate at once', async () => {
  const t = await createTestApp();
  const actor = { id: 'test', sourceIp: null };
  try {
    const consumer = await t.app.consumers.create({ name: 'c', scopes: ['s'] }, actor);
    const { key, record } = await t.app.keys.create(consumer.id, {}, actor);
    assert.equal((await t.app.verifyKey(key)).code, 'VALID');
    const unknown = generateKey('pcl');
    assert.equal((await t.app.verifyKey(unknown)).code, 'NOT_FOUND');

    const before = t.app.store.stats.queries;
    for (let i = 0; i < 100; i++) {
      assert.equal((await t.app.verifyKey(key)).code, 'VALID');
      assert.equal((await t.app.verifyKey(unknown)).code, 'NOT_FOUND');
    }
    assert.equal(t.app.store.stats.queries, before);

    await t.app.keys.update(record.id, { enabled: false }, actor);
    assert.equal((await t.app.verifyKey(key)).code, 'DISABLED');
    await t.app.keys.update(record.id, { enabled: true }, actor);
    await t.app.consumers.update(consumer.id, { enabled: false }, actor);
    assert.equal((await t.app.verifyKey(key)).code, 'DISABLED');
    await t.app.consumers.update(consumer.id, { enabled: true }, actor);
    await t.app.keys.revoke(record.id, actor);
    assert.equal((await t.app.verifyKey(key)).code, 'REVOKED');
  } finally {
    await t.close();
  }
});

test('last-used times are written in batches, not per request', async () => {
  const t = await createTestApp();
  const actor = { id: 'test', sourceIp: null };
  try {
    const consumer = await t.app.consumers.create({ name: 'c' }, actor);
    const { key, record } = await t.app.keys.create(consumer.id, {}, actor);
    await t.app.verifyKey(key);
    const before = t.app.store.stats.queries;
    // 20 s in all: within the cache's 30 s TTL less its jitter (up to a fifth: 24 s at the shortest),
    // so no refill from the store either.
    for (let i = 0; i < 40; i++) {
      t.clock.advance(500);
      await t.app.verifyKey(key);
    }
    assert.equal(t.app.store.stats.queries, before, 'no write per request');
    assert.equal(await t.app.lastUsed.flush(), 1);
    assert.equal((await t.app.keys.get(record.id)).lastUsedAt, t.clock.now());
  } finally {
    await t.close();
  }
});
