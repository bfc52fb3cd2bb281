// POST /admin/v1/keys/leaked: another scanner's report by plaintext key or SHA-256 hash, with each
// leak policy (revoke, disable, notify) observable through verification and the audit trail (all on
// SQLite, revoke on PostgreSQL too).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateKey, hashKey } from '../../src/keys/format.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { noteSecret } from '../helpers/logs.js';
import { storeAdapters } from '../helpers/stores.js';

const URL_SEEN = 'https://gist.example/acme/123';

for (const adapter of storeAdapters) {
  describe(`leak reports through the admin API (${adapter.name})`, { skip: adapter.skip }, () => {
    const policies = [
      ['revoke', 'REVOKED', 'revoked'],
      ['disable', 'DISABLED', 'disabled'],
      ['notify', 'VALID', 'live'],
    ] as const;
    // The policies differ only in the key fields they write: every policy on SQLite, revoke on PostgreSQL too.
    for (const [policy, verifyCode, state] of adapter.name === 'sqlite' ? policies : policies.slice(0, 1)) {
      describe(`policy ${policy}`, () => {
        let t: TestApp;
        let consumerId: string;
        before(async () => {
          t = await createTestApp({ adapter, config: { leaks: { policy } } });
          consumerId = (await t.call('POST', '/admin/v1/consumers', { name: 'acme' })).body.id;
        });
        after(async () => t?.close());

        async function issue(): Promise<{ key: string; id: string }> {
          const issued = await t.call('POST', `/admin/v1/consumers/${consumerId}/keys`, {});
          noteSecret(issued.body.key);
          return { key: issued.body.key, id: issued.body.id };
        }

        test('a plaintext key and a hash: each found key gets the policy and a key.leaked event', async () => {
          const byKey = await issue();
          const byHash = await issue();
          const unknown = generateKey('pcl');
          const response = await t.call('POST', '/admin/v1/keys/leaked', {
            keys: [byKey.key, unknown, 'not-a-key'],
            hashes: [hashKey(byHash.key), 'f'.repeat(64)],
            source: 'trufflehog',
            url: URL_SEEN,
          });
          assert.equal(response.status, 200);
          assert.equal(response.body.policy, policy);
          const [found, notFound, malformed, foundByHash, hashNotFound] = response.body.items;
          assert.deepEqual(found, {
            input: 'key',
            index: 0,
            hash: hashKey(byKey.key),
            wellFormed: true,
            found: true,
            keyId: byKey.id,
            consumerId,
            masked: `${byKey.key.slice(0, 8)}…${byKey.key.slice(-4)}`,
            state: 'live',
            policyApplied: policy,
          });
          assert.deepEqual(notFound, { input: 'key', index: 1, hash: hashKey(unknown), wellFormed: true, found: false, policyApplied: 'none' });
          assert.deepEqual(malformed, { input: 'key', index: 2, wellFormed: false, found: false, policyApplied: 'none' });
          assert.equal(foundByHash.keyId, byHash.id);
          assert.equal(foundByHash.policyApplied, policy);
          assert.equal(hashNotFound.found, false);
          assert.ok(!JSON.stringify(response.body).includes(byKey.key), 'the answer never repeats a plaintext key');

          for (const key of [byKey.key, byHash.key]) {
            const verdict = await t.call('POST', '/admin/v1/keys/verify', { key });
            assert.equal(verdict.body.code, verifyCode);
          }
          const events = await t.call('GET', `/admin/v1/audit-events?action=key.leaked&targetId=${byKey.id}`);
          assert.equal(events.body.items.length, 1);
          assert.deepEqual(
            { ...events.body.items[0].details, masked: undefined },
            { masked: undefined, consumerId, source: 'trufflehog', url: URL_SEEN, state: 'live', policy },
          );
          assert.ok(!JSON.stringify(events.body).includes(byKey.key));
        });

        test('reported again: the state it is in now, and the policy once more unless revoked', async () => {
          const leaked = await issue();
          await t.call('POST', '/admin/v1/keys/leaked', { keys: [leaked.key], source: 'customer' });
          const again = await t.call('POST', '/admin/v1/keys/leaked', { keys: [leaked.key], source: 'customer' });
          assert.equal(again.body.items[0].state, state);
          assert.equal(again.body.items[0].policyApplied, policy === 'revoke' ? 'none' : policy);
        });
      });
    }
  });
}

describe('leak report validation', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t?.close());

  test('a malformed hash, too many items or no source: 400; nothing to report: an empty answer', async () => {
    assert.deepEqual((await t.call('POST', '/admin/v1/keys/leaked', { keys: [], source: 'x' })).body, { policy: 'revoke', items: [] });
    for (const body of [
      { hashes: ['F'.repeat(64)], source: 'x' },
      { hashes: ['abc'], source: 'x' },
      { keys: ['k'] },
      { keys: Array.from({ length: 600 }, () => 'k'), hashes: Array.from({ length: 600 }, () => 'a'.repeat(64)), source: 'x' },
    ]) {
      const response = await t.call('POST', '/admin/v1/keys/leaked', body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
  });
});
