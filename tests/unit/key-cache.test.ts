// The verification cache keeps a consumer's shared state once, and never lets an older row of the
// consumer (a fill that raced a change) replace a newer one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKeyCache } from '../../src/keys/cache.js';
import type { KeyVerificationRecord } from '../../src/store/types.js';

const row = (keyId: string, updatedAt: number, enabled = true): KeyVerificationRecord => ({
  key: {
    id: keyId,
    consumerId: 'con_1',
    scopes: ['read', 'write'],
    metadata: {},
    expiresAt: null,
    enabled: true,
    revokedAt: null,
    rateLimit: null,
    quota: null,
    allowedIps: [],
  },
  consumer: { id: 'con_1', name: 'shop', metadata: { plan: 'pro' }, scopes: ['read'], enabled, rateLimit: null, quota: null, allowedIps: [], updatedAt },
});

test('keys of one consumer share its state; a newer consumer row replaces it, an older one does not', () => {
  const cache = createKeyCache({ maxEntries: 10, ttlMs: 60_000, negativeTtlMs: 1_000, now: () => 0 });
  const a = cache.set('a', row('key_a', 100));
  const b = cache.set('b', row('key_b', 100));
  assert.equal(a.consumer, b.consumer, 'one shared consumer state');
  assert.deepEqual(a.scopes, ['read'], 'key scopes the consumer no longer allows are dropped');
  assert.equal(a.metadata, a.consumer.metadata, 'no copy when the key has no metadata of its own');
  assert.deepEqual(a.valid.consumer, { id: 'con_1', name: 'shop', metadata: { plan: 'pro' } });

  const stale = cache.set('c', row('key_c', 50, false));
  assert.equal(stale.consumer, a.consumer, 'an older row uses the newer shared state');
  assert.equal(stale.consumer.enabled, true);

  const fresh = cache.set('d', row('key_d', 200, false));
  assert.equal(fresh.consumer.enabled, false, 'a newer row replaces the shared state');
  assert.equal(cache.set('e', row('key_e', 150)).consumer, fresh.consumer);

  cache.deleteConsumer('con_1');
  assert.equal(cache.size, 0);
  assert.equal(cache.set('f', row('key_f', 120)).consumer.updatedAt, 120, 'after a consumer change, state starts afresh');
});
