// Idempotency-Key on admin writes, on both stores: a retry replays the first answer, a reused key
// with another request is refused, a key in flight is refused, a secret is never stored for replay,
// and a claim taken over cannot commit twice.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { IDEMPOTENCY_KEY_TTL_MS, idempotencyKeyHash, requestFingerprint } from '../../src/admin/idempotency.js';
import { newId } from '../../src/lib/ids.js';
import { createTestApp } from '../helpers/app.js';
import { storeAdapters } from '../helpers/stores.js';

for (const adapter of storeAdapters) {
  describe(`Idempotency-Key on admin writes (${adapter.name})`, { skip: adapter.skip }, () => {
    test('a retry replays the answer; the same key with another request is 422', async () => {
      const t = await createTestApp({ adapter });
      try {
        const key = randomUUID();
        const first = await t.call('POST', '/admin/v1/consumers', { name: 'acme', scopes: ['a'] }, { 'idempotency-key': key });
        assert.equal(first.status, 201);
        assert.equal(first.headers['idempotent-replayed'], undefined);
        // The draft's form is a quoted sf-string; the bare value is the same key.
        const again = await t.call('POST', '/admin/v1/consumers', { name: 'acme', scopes: ['a'] }, { 'idempotency-key': `"${key}"` });
        assert.equal(again.status, 201);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.deepEqual(again.body, first.body);
        const listed = (await t.call('GET', '/admin/v1/consumers')).body.items.filter((c: any) => c.name === 'acme');
        assert.equal(listed.length, 1);

        for (const [method, path, body] of [
          ['POST', '/admin/v1/consumers', { name: 'acme', scopes: ['b'] }],
          ['PATCH', `/admin/v1/consumers/${first.body.id}`, { name: 'acme' }],
        ] as const) {
          const reused = await t.call(method, path, body, { 'idempotency-key': key });
          assert.equal(reused.status, 422, `${method} ${path}`);
          assert.equal(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
        }
        assert.deepEqual((await t.call('GET', `/admin/v1/consumers/${first.body.id}`)).body.scopes, ['a']);

        // Keys belong to one admin key: another admin key's identical key is another request.
        const other = (await t.app.createAdminKey('second')).key;
        const theirs = await t.call('POST', '/admin/v1/consumers', { name: 'globex' }, { 'idempotency-key': key, authorization: `Bearer ${other}` });
        assert.equal(theirs.status, 201);
        assert.equal(theirs.headers['idempotent-replayed'], undefined);
      } finally {
        await t.close();
      }
    });

    test('refusals and deletes replay too; keys expire after 24 h', async () => {
      const t = await createTestApp({ adapter });
      try {
        const nobody = `/admin/v1/consumers/${newId('con')}`;
        const missing = await t.call('PATCH', nobody, { name: 'x' }, { 'idempotency-key': 'patch-1' });
        assert.equal(missing.status, 404);
        const missingAgain = await t.call('PATCH', nobody, { name: 'x' }, { 'idempotency-key': 'patch-1' });
        assert.equal(missingAgain.status, 404);
        assert.equal(missingAgain.headers['idempotent-replayed'], 'true');

        const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'gone' })).body;
        assert.equal((await t.call('DELETE', `/admin/v1/consumers/${consumer.id}`, undefined, { 'idempotency-key': 'delete-1' })).status, 204);
        const deleteAgain = await t.call('DELETE', `/admin/v1/consumers/${consumer.id}`, undefined, { 'idempotency-key': 'delete-1' });
        assert.equal(deleteAgain.status, 204, 'a retried delete replays 204, not 404');
        assert.equal(deleteAgain.headers['idempotent-replayed'], 'true');

        t.clock.advance(IDEMPOTENCY_KEY_TTL_MS + 1);
        const expired = await t.call('PATCH', nobody, { name: 'y' }, { 'idempotency-key': 'patch-1' });
        assert.equal(expired.status, 404, 'an expired key is a new key');
        assert.equal(expired.headers['idempotent-replayed'], undefined);
      } finally {
        await t.close();
      }
    });

    test('malformed keys are 400 IDEMPOTENCY_KEY_INVALID', async () => {
      const t = await createTestApp({ adapter });
      try {
        for (const value of ['', '""', 'a b', 'x'.repeat(256), '"unterminated', 'two, values', 'ünicode']) {
          const response = await t.call('POST', '/admin/v1/consumers', { name: 'bad-key' }, { 'idempotency-key': value });
          assert.equal(response.status, 400, JSON.stringify(value));
          assert.equal(response.body.code, 'IDEMPOTENCY_KEY_INVALID');
        }
        assert.equal((await t.call('GET', '/admin/v1/consumers')).body.items.filter((c: any) => c.name === 'bad-key').length, 0);
      } finally {
        await t.close();
      }
    });

    test('a key still in flight is 409 with Retry-After; once its lock lapses a retry takes it over', async () => {
      const t = await createTestApp({ adapter });
      try {
        const actorId = (await t.app.verifyKey(t.adminKey)).keyId!;
        const body = { name: 'in-flight' };
        const now = t.clock.now();
        // Another request holds the claim (its process died before it committed anything).
        const claim = await t.app.store.claimIdempotencyKey({
          scope: actorId,
          keyHash: idempotencyKeyHash('flight-1'),
          fingerprint: requestFingerprint({ method: 'POST', url: '/admin/v1/consumers', actorId, body }),
          claimToken: 'the-other-request',
          now,
          lockedUntil: now + 10_000,
          expiresAt: now + IDEMPOTENCY_KEY_TTL_MS,
        });
        assert.equal(claim.claimed, true);
        const busy = await t.call('POST', '/admin/v1/consumers', body, { 'idempotency-key': 'flight-1' });
        assert.equal(busy.status, 409);
        assert.equal(busy.body.code, 'IDEMPOTENCY_KEY_IN_USE');
        assert.equal(busy.headers['retry-after'], '10');

        t.clock.advance(10_000);
        const retried = await t.call('POST', '/admin/v1/consumers', body, { 'idempotency-key': 'flight-1' });
        assert.equal(retried.status, 201);
        // The request that lost its claim cannot mark (so cannot commit) a write any more.
        const lost = await t.app.store.markIdempotentWrite(
          { scope: actorId, keyHash: idempotencyKeyHash('flight-1'), claimToken: 'the-other-request' },
          { type: 'consumer', id: newId('con') },
        );
        assert.equal(lost, false);
        assert.equal((await t.call('GET', '/admin/v1/consumers')).body.items.filter((c: any) => c.name === 'in-flight').length, 1);
      } finally {
        await t.close();
      }
    });

    test('an answer carrying a secret is never stored: a retry learns the object, not the key', async () => {
      const t = await createTestApp({ adapter });
      try {
        const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'secretive', scopes: ['a'] })).body;
        const created = await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: 'k' }, { 'idempotency-key': 'key-create-1' });
        assert.equal(created.status, 201);
        assert.ok(created.body.key);
        const retried = await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: 'k' }, { 'idempotency-key': 'key-create-1' });
        assert.equal(retried.status, 409);
        assert.equal(retried.body.code, 'IDEMPOTENCY_REPLAY_UNAVAILABLE');
        assert.equal(retried.body.targetType, 'key');
        assert.equal(retried.body.targetId, created.body.id);
        assert.ok(!JSON.stringify(retried.body).includes(created.body.key));
        assert.equal((await t.call('GET', `/admin/v1/consumers/${consumer.id}/keys`)).body.items.length, 1, 'one key, not two');

        const rolled = await t.call('POST', `/admin/v1/keys/${created.body.id}/roll`, { expireOldInSeconds: 60 }, { 'idempotency-key': 'roll-1' });
        assert.equal(rolled.status, 201);
        const rolledAgain = await t.call('POST', `/admin/v1/keys/${created.body.id}/roll`, { expireOldInSeconds: 60 }, { 'idempotency-key': 'roll-1' });
        assert.equal(rolledAgain.body.code, 'IDEMPOTENCY_REPLAY_UNAVAILABLE');
        assert.equal((await t.call('GET', `/admin/v1/consumers/${consumer.id}/keys`)).body.items.length, 2, 'rolled once');

        if (t.sqlitePath) {
          await t.app.lastUsed.flush();
          for (const file of [t.sqlitePath, `${t.sqlitePath}-wal`].filter(existsSync)) {
            const bytes = readFileSync(file);
            for (const plaintext of [created.body.key, rolled.body.key]) assert.ok(!bytes.includes(plaintext), `a plaintext key is in ${file}`);
          }
        }
      } finally {
        await t.close();
      }
    });
  });
}
