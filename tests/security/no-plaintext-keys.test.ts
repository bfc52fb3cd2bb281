// After a full key lifecycle, no plaintext key may be found in the SQLite files (WAL included) or in
// any log line written at trace level.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createTestApp } from '../helpers/app.js';

test('plaintext keys appear in neither the database files nor the logs', async () => {
  const t = await createTestApp();
  const plaintexts: string[] = [t.adminKey];
  let files: Buffer[] = [];
  try {
    const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'acme', scopes: ['a'], metadata: { plan: 'pro' } })).body;
    for (let i = 0; i < 3; i++) {
      const created = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: `k${i}` })).body;
      plaintexts.push(created.key);
      await t.call('POST', '/admin/v1/keys/verify', { key: created.key, scopes: ['a'] });
      await t.call('PATCH', `/admin/v1/keys/${created.id}`, { metadata: { i } });
      const rolled = (await t.call('POST', `/admin/v1/keys/${created.id}/roll`, { expireOldInSeconds: 10 })).body;
      plaintexts.push(rolled.key);
      await t.call('POST', '/admin/v1/keys/verify', { key: rolled.key });
      await t.call('POST', `/admin/v1/keys/${rolled.id}/revoke`);
      await t.call('POST', '/admin/v1/keys/verify', { key: rolled.key });
      // A refused admin call with a key as the credential is logged too.
      await t.call('GET', '/admin/v1/consumers', undefined, { authorization: `Bearer ${created.key}` });
    }
    await t.app.lastUsed.flush();
    const path = t.sqlitePath!;
    files = [path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((f) => readFileSync(f));
    assert.ok(files.length >= 2, 'the database and its WAL exist');
    assert.ok(t.logs.length > 10, 'logs were captured');
  } finally {
    await t.close();
  }
  const logs = t.logs.join('\n');
  assert.equal(plaintexts.length, 7);
  for (const key of plaintexts) {
    assert.ok(!logs.includes(key), 'a key appears in the logs');
    // The random part alone must not appear either (e.g. a differently prefixed copy).
    assert.ok(!logs.includes(key.slice(4, 34)), 'a key body appears in the logs');
    for (const file of files) {
      assert.equal(file.indexOf(key), -1, 'a key appears in a database file');
      assert.equal(file.indexOf(Buffer.from(key, 'utf16le')), -1);
      assert.equal(file.indexOf(key.slice(4, 34)), -1);
    }
  }
});
