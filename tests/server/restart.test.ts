// Data written by one run is there for the next: consumers, keys and the first admin key.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { startPortcullis } from '../../src/server/start.js';
import { testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

test('data survives a restart', async () => {
  const tmp = tempDir();
  const config = validateConfig(
    { store: `sqlite:${join(tmp.dir, 'p.db')}`, admin: { port: 0 }, listen: { port: 0, host: '127.0.0.1' }, log: { level: 'silent' } },
    'test',
  );
  const loaded = { config, path: null, demo: false };
  const quiet = { logger: testLogger(), print: () => {} };
  try {
    const first = await startPortcullis({ loaded, ...quiet });
    const adminKey = first.firstAdminKey!;
    assert.ok(adminKey);
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const consumer: any = await (
      await fetch(`${first.adminUrl}/admin/v1/consumers`, { method: 'POST', headers, body: JSON.stringify({ name: 'keep', scopes: ['s'] }) })
    ).json();
    const key: any = await (await fetch(`${first.adminUrl}/admin/v1/consumers/${consumer.id}/keys`, { method: 'POST', headers, body: '{}' })).json();
    await first.close();

    const second = await startPortcullis({ loaded, ...quiet });
    try {
      assert.equal(second.firstAdminKey, null, 'no new admin key on a second start');
      const verify = await fetch(`${second.adminUrl}/admin/v1/keys/verify`, { method: 'POST', headers, body: JSON.stringify({ key: key.key, scopes: ['s'] }) });
      assert.equal(verify.status, 200);
      const result: any = await verify.json();
      assert.equal(result.code, 'VALID');
      assert.equal(result.consumer.name, 'keep');
    } finally {
      await second.close();
    }
  } finally {
    tmp.remove();
  }
});
