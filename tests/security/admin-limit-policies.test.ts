// Issue #19 §5: rate-limit and quota values are checked when written (admin API, config), and the
// gateway survives a bad policy already in the store: it refuses that caller's requests with 503
// LIMIT_POLICY_INVALID and a log line naming the consumer, never a 500, and nobody else notices.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { type Harness, startHarness, startUpstream, type Upstream } from '../gateway/helpers.js';
import { createTestApp, logLines, type TestApp } from '../helpers/app.js';

const BAD_RATE_LIMITS: Array<[unknown, string]> = [
  [{ limit: 5, window: '0ms' }, 'window'],
  [{ limit: 5, window: '0s' }, 'window'],
  [{ limit: 5, window: '999ms' }, 'window'],
  [{ limit: 5, window: '366d' }, 'window'],
  [{ limit: 5, window: '8785h' }, 'window'],
  [{ limit: 5, window: '999999999d' }, 'window'],
  [{ limit: 1_000_000_000, window: '365d' }, 'limit'],
  [{ limit: 0, window: '1m' }, 'limit'],
  [{ limit: 1.5, window: '1m' }, 'limit'],
  [{ limit: '5', window: '1m' }, 'limit'],
];
const GOOD_RATE_LIMITS = [
  { limit: 1, window: '1s' },
  { limit: 10, window: '1000ms' },
  { limit: 1000, window: '365d' },
  { limit: 1_000_000_000, window: '1m' },
  { limit: 5, window: '8760h', by: 'ip' },
];

describe('rate limits and quotas are checked when written', () => {
  let t: TestApp;
  let consumerId: string;
  let keyId: string;
  let clientId: string;
  before(async () => {
    t = await createTestApp();
    consumerId = (await t.call('POST', '/admin/v1/consumers', { name: 'owner' })).body.id;
    keyId = (await t.call('POST', `/admin/v1/consumers/${consumerId}/keys`, {})).body.id;
    clientId = (await t.call('POST', `/admin/v1/consumers/${consumerId}/clients`, {})).body.clientId;
  });
  after(() => t.close());

  const writes = (): Array<[string, string, Record<string, unknown>]> => [
    ['POST', '/admin/v1/consumers', { name: `c-${Math.random().toString(36).slice(2)}` }],
    ['PATCH', `/admin/v1/consumers/${consumerId}`, {}],
    ['POST', `/admin/v1/consumers/${consumerId}/keys`, {}],
    ['PATCH', `/admin/v1/keys/${keyId}`, {}],
    ['POST', `/admin/v1/consumers/${consumerId}/clients`, {}],
    ['PATCH', `/admin/v1/clients/${clientId}`, {}],
  ];

  it('refuses windows outside 1s…365d, limits below 1, fractions, and limit × window past 2^53 ms', async () => {
    for (const [rateLimit, field] of BAD_RATE_LIMITS) {
      for (const [method, url, base] of writes()) {
        const response = await t.call(method, url, { ...base, rateLimit });
        assert.equal(response.status, 400, `${method} ${url} ${JSON.stringify(rateLimit)}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.code, 'VALIDATION_FAILED');
        assert.ok(
          response.body.errors.some((e: { field: string }) => e.field === `body.rateLimit.${field}` || e.field === 'body.rateLimit'),
          `${JSON.stringify(rateLimit)} names body.rateLimit.${field}: ${JSON.stringify(response.body.errors)}`,
        );
      }
    }
  });

  it('accepts the documented range', async () => {
    for (const rateLimit of GOOD_RATE_LIMITS) {
      for (const [method, url, base] of writes()) {
        const response = await t.call(method, url, { ...base, rateLimit });
        assert.ok(response.status === 200 || response.status === 201, `${method} ${url} ${JSON.stringify(rateLimit)}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(response.body.rateLimit, rateLimit);
      }
    }
  });

  it('refuses quotas that are not whole non-negative numbers of a known period', async () => {
    for (const quota of [
      { limit: -1, period: 'day' },
      { limit: 1.5, period: 'day' },
      { limit: 5, period: 'year' },
      { limit: 1e13, period: 'month' },
    ]) {
      for (const [method, url, base] of writes()) {
        const response = await t.call(method, url, { ...base, quota });
        assert.equal(response.status, 400, `${method} ${url} ${JSON.stringify(quota)}`);
        assert.equal(response.body.code, 'VALIDATION_FAILED');
      }
    }
  });

  it('the config refuses an API rateLimit out of bounds and names the field', () => {
    const api = { name: 'orders', basePath: '/orders', upstream: 'http://127.0.0.1:1' };
    for (const [rateLimit, field] of BAD_RATE_LIMITS.filter(
      ([r]) => typeof (r as { limit: unknown }).limit === 'number' && Number.isInteger((r as { limit: number }).limit) && (r as { limit: number }).limit >= 1,
    )) {
      assert.throws(
        () => validateConfig({ apis: [api, { ...api, name: 'b', basePath: '/b', rateLimit }] }, 'test'),
        (error: Error) => error instanceof ConfigError && error.message.includes(`apis.1.rateLimit.${field}`),
        JSON.stringify(rateLimit),
      );
    }
    for (const rateLimit of GOOD_RATE_LIMITS) assert.ok(validateConfig({ apis: [{ ...api, rateLimit }] }, 'test'));
  });
});

describe('the gateway survives a bad policy already in the store', () => {
  let upstream: Upstream;
  let h: Harness;
  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({ apis: [{ name: 'echo', basePath: '/echo', upstream: upstream.url }] });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  // Written under the admin API's checks, straight into the store (as an old version, a migration
  // or a hand-edited row could have).
  const STORED: Array<[string, 'consumer' | 'key', { rateLimit?: unknown; quota?: unknown }]> = [
    ['window 0ms (consumer)', 'consumer', { rateLimit: { limit: 5, window: '0ms' } }],
    ['window 0ms (key)', 'key', { rateLimit: { limit: 5, window: '0ms' } }],
    ['limit 0', 'consumer', { rateLimit: { limit: 0, window: '1m' } }],
    ['fractional limit', 'key', { rateLimit: { limit: 2.5, window: '1m' } }],
    ['limit as text', 'consumer', { rateLimit: { limit: '5', window: '1m' } }],
    ['window as text', 'consumer', { rateLimit: { limit: 5, window: 'soon' } }],
    ['window overflowing the limiter', 'consumer', { rateLimit: { limit: 1_000_000_000, window: '999999999d' } }],
    ['unknown by', 'key', { rateLimit: { limit: 5, window: '1m', by: 'planet' } }],
    ['not an object', 'consumer', { rateLimit: 'lots' }],
    ['zero instead of null', 'key', { rateLimit: 0 }],
    ['negative quota', 'consumer', { quota: { limit: -1, period: 'day' } }],
    ['unknown period', 'key', { quota: { limit: 5, period: 'year' } }],
  ];

  it('refuses that caller with 503 LIMIT_POLICY_INVALID and a log line, never 500; others are served', async () => {
    const healthy = await h.issueKey({ name: 'healthy' });
    for (const [label, owner, patch] of STORED) {
      const victim = await h.issueKey();
      if (owner === 'consumer') await h.app.store.updateConsumer(victim.consumerId, patch as never);
      else await h.app.store.updateKey(victim.keyId, patch as never);
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${h.gateway.url}/echo/x`, { headers: { 'x-api-key': victim.key } });
        const body = (await response.json()) as { code: string };
        assert.equal(response.status, 503, `${label}: ${JSON.stringify(body)}`);
        assert.equal(body.code, 'LIMIT_POLICY_INVALID', label);
        assert.ok(response.headers.get('retry-after'), label);
      }
      const line = logLines(h.logs).find((l) => l.msg === 'invalid rate-limit or quota policy; request refused' && l.consumerId === victim.consumerId);
      assert.ok(line, `${label}: a log line names the consumer`);
      assert.equal(line.owner, owner === 'consumer' ? 'consumer' : 'credential', label);
      assert.equal((await fetch(`${h.gateway.url}/echo/x`, { headers: { 'x-api-key': healthy.key } })).status, 200, `${label}: others are served`);

      // The admin API still shows that consumer and key, and fixing the policy there lets the caller back in.
      const auth = { authorization: `Bearer ${h.adminKey}` };
      const consumer = await fetch(`${h.adminUrl}/admin/v1/consumers/${victim.consumerId}`, { headers: auth });
      assert.equal(consumer.status, 200, `${label}: GET consumer ${await consumer.clone().text()}`);
      const key = await fetch(`${h.adminUrl}/admin/v1/keys/${victim.keyId}`, { headers: auth });
      assert.equal(key.status, 200, `${label}: GET key ${await key.clone().text()}`);
      const list = await fetch(`${h.adminUrl}/admin/v1/consumers?limit=200`, { headers: auth });
      assert.equal(list.status, 200, `${label}: list consumers`);
      const verify = await fetch(`${h.adminUrl}/admin/v1/keys/verify`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ key: victim.key }),
      });
      assert.equal(verify.status, 200, `${label}: verify`);
      const fix = { [Object.keys(patch)[0]!]: null };
      const fixed = await fetch(
        `${h.adminUrl}/admin/v1/${owner === 'consumer' ? 'consumers' : 'keys'}/${owner === 'consumer' ? victim.consumerId : victim.keyId}`,
        {
          method: 'PATCH',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(fix),
        },
      );
      assert.equal(fixed.status, 200, `${label}: fix`);
      assert.equal((await fetch(`${h.gateway.url}/echo/x`, { headers: { 'x-api-key': victim.key } })).status, 200, `${label}: fixed`);
    }
  });
});
