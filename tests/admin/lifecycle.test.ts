// The issue's acceptance walk, through the admin API only, on every store adapter, with an
// injected clock: create → verify → expire → clear → disable → roll with overlap → revoke.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestApp } from '../helpers/app.js';
import { storeAdapters } from '../helpers/stores.js';

for (const adapter of storeAdapters) {
  describe(`key lifecycle through the admin API (${adapter.name})`, { skip: adapter.skip }, () => {
    test('every verify code appears where it should', async () => {
      const t = await createTestApp({ adapter });
      try {
        const verify = async (key: string, scopes?: string[]) => (await t.call('POST', '/admin/v1/keys/verify', { key, ...(scopes ? { scopes } : {}) })).body;

        const consumer = await t.call('POST', '/admin/v1/consumers', {
          name: 'acme',
          metadata: { accountId: 'acct_42', plan: 'pro' },
          scopes: ['orders:read', 'orders:write'],
        });
        assert.equal(consumer.status, 201);
        const consumerId = consumer.body.id;

        const created = await t.call('POST', `/admin/v1/consumers/${consumerId}/keys`, {
          name: 'ci',
          scopes: ['orders:read'],
          metadata: { env: 'prod' },
        });
        assert.equal(created.status, 201);
        const key: string = created.body.key;
        const keyId: string = created.body.id;
        assert.match(key, /^pcl_[0-9A-Za-z]{36}$/);
        assert.equal(created.body.masked, `${key.slice(0, 8)}…${key.slice(-4)}`);

        let result = await verify(key);
        assert.equal(result.code, 'VALID');
        assert.equal(result.valid, true);
        assert.equal(result.keyId, keyId);
        assert.equal(result.consumer.id, consumerId);
        assert.deepEqual(result.metadata, { accountId: 'acct_42', plan: 'pro', env: 'prod' });
        assert.deepEqual(result.scopes, ['orders:read']);

        // An expiry in the past, then cleared.
        const past = new Date(t.clock.now() - 60_000).toISOString();
        assert.equal((await t.call('PATCH', `/admin/v1/keys/${keyId}`, { expiresAt: past })).status, 200);
        assert.equal((await verify(key)).code, 'EXPIRED');
        assert.equal((await t.call('PATCH', `/admin/v1/keys/${keyId}`, { expiresAt: null })).body.expiresAt, null);
        assert.equal((await verify(key)).code, 'VALID');

        // Disabled, then enabled.
        await t.call('PATCH', `/admin/v1/keys/${keyId}`, { enabled: false });
        assert.equal((await verify(key)).code, 'DISABLED');
        await t.call('PATCH', `/admin/v1/keys/${keyId}`, { enabled: true });

        // Roll with a 60 s overlap: both work, then the old one expires.
        const rolled = await t.call('POST', `/admin/v1/keys/${keyId}/roll`, { expireOldInSeconds: 60 });
        assert.equal(rolled.status, 201);
        const newKey: string = rolled.body.key;
        assert.notEqual(newKey, key);
        assert.equal(rolled.body.name, 'ci');
        assert.deepEqual(rolled.body.scopes, ['orders:read']);
        assert.deepEqual(rolled.body.metadata, { env: 'prod' });
        assert.equal((await verify(key)).code, 'VALID');
        assert.equal((await verify(newKey)).code, 'VALID');
        t.clock.advance(30_000);
        // Rolling the old key again never extends its expiry.
        const again = await t.call('POST', `/admin/v1/keys/${keyId}/roll`, { expireOldInSeconds: 3600 });
        assert.equal(again.status, 201);
        assert.equal(again.body.oldKey.expiresAt, rolled.body.oldKey.expiresAt);
        t.clock.advance(31_000);
        assert.equal((await verify(key)).code, 'EXPIRED');
        assert.equal((await verify(newKey)).code, 'VALID');

        // Consumer disabled: its keys stop at once.
        await t.call('PATCH', `/admin/v1/consumers/${consumerId}`, { enabled: false });
        assert.equal((await verify(newKey)).code, 'DISABLED');
        await t.call('PATCH', `/admin/v1/consumers/${consumerId}`, { enabled: true });
        assert.equal((await verify(newKey)).code, 'VALID');

        // Scope the key lacks.
        result = await verify(newKey, ['orders:write']);
        assert.equal(result.code, 'INSUFFICIENT_SCOPE');
        assert.deepEqual(result.missingScopes, ['orders:write']);

        // Revoked.
        const newKeyId = rolled.body.id;
        assert.ok((await t.call('POST', `/admin/v1/keys/${newKeyId}/revoke`)).body.revokedAt);
        assert.equal((await verify(newKey)).code, 'REVOKED');

        // One changed character: the checksum no longer matches.
        const last = newKey.at(-1) === 'a' ? 'b' : 'a';
        assert.equal((await verify(newKey.slice(0, -1) + last)).code, 'MALFORMED');
        const middle = newKey.slice(0, 10) + (newKey[10] === 'Z' ? 'Y' : 'Z') + newKey.slice(11);
        assert.equal((await verify(middle)).code, 'MALFORMED');

        // A well-formed key nobody issued.
        const { generateKey } = await import('../../src/keys/format.js');
        assert.equal((await verify(generateKey('pcl'))).code, 'NOT_FOUND');

        // Audit trail of the walk, newest first, with no secret in it.
        const audit = await t.call('GET', `/admin/v1/audit-events?targetId=${keyId}&limit=200`);
        const actions = audit.body.items.map((e: { action: string }) => e.action);
        assert.ok(actions.includes('key.created'));
        assert.ok(actions.includes('key.updated'));
        assert.ok(actions.includes('key.rolled'));
        assert.ok(!JSON.stringify(audit.body).includes(key));
        assert.ok(!JSON.stringify(audit.body).includes(newKey));
      } finally {
        await t.close();
      }
    });

    test('keys can only have scopes their consumer allows', async () => {
      const t = await createTestApp({ adapter });
      try {
        const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'scoped', scopes: ['a'] })).body;
        const refused = await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { scopes: ['a', 'b'] });
        assert.equal(refused.status, 400);
        assert.equal(refused.body.code, 'SCOPES_NOT_ALLOWED');
        const key = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, {})).body;
        assert.deepEqual(key.scopes, ['a']);
        // Narrowing the consumer narrows what its keys grant, at once.
        await t.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { scopes: [] });
        const result = (await t.call('POST', '/admin/v1/keys/verify', { key: key.key, scopes: ['a'] })).body;
        assert.equal(result.code, 'INSUFFICIENT_SCOPE');
      } finally {
        await t.close();
      }
    });

    test('consumers: unique names and external ids, cursor pagination, delete removes keys', async () => {
      const t = await createTestApp({ adapter });
      try {
        const first = await t.call('POST', '/admin/v1/consumers', { name: 'one', externalIds: ['auth0|1'] });
        assert.equal(first.status, 201);
        assert.equal((await t.call('POST', '/admin/v1/consumers', { name: 'one' })).body.code, 'CONSUMER_NAME_TAKEN');
        const clash = await t.call('POST', '/admin/v1/consumers', { name: 'two', externalIds: ['auth0|1'] });
        assert.equal(clash.status, 409);
        assert.equal(clash.body.code, 'EXTERNAL_ID_TAKEN');
        for (let i = 0; i < 5; i++) await t.call('POST', '/admin/v1/consumers', { name: `page-${i}` });
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const url: string = `/admin/v1/consumers?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
          const page: { items: Array<{ name: string }>; nextCursor: string | null } = (await t.call('GET', url)).body;
          assert.ok(page.items.length <= 2);
          seen.push(...page.items.map((c) => c.name));
          cursor = page.nextCursor;
        } while (cursor);
        // The admin consumer, "one", and five pages' worth, each exactly once.
        assert.equal(seen.length, 7);
        assert.equal(new Set(seen).size, 7);

        const key = (await t.call('POST', `/admin/v1/consumers/${first.body.id}/keys`, {})).body;
        assert.equal((await t.call('DELETE', `/admin/v1/consumers/${first.body.id}`)).status, 204);
        assert.equal((await t.call('GET', `/admin/v1/consumers/${first.body.id}`)).status, 404);
        assert.equal((await t.call('GET', `/admin/v1/keys/${key.id}`)).status, 404);
        assert.equal((await t.call('POST', '/admin/v1/keys/verify', { key: key.key })).body.code, 'NOT_FOUND');
      } finally {
        await t.close();
      }
    });
  });
}
