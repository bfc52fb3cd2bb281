// Rate limits, quotas and usage at the gateway, with a real upstream, real SQLite, an injected
// clock, and (when PORTCULLIS_TEST_REDIS_URL is set) real Redis, cut mid-run through a proxy.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { createManualClock } from '../../src/lib/clock.js';
import { registerOAuthRoutes } from '../../src/oauth/routes.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { testLogger } from '../helpers/logs.js';
import { deleteKeysUnder, randomPrefix, redisSkip, redisUrl, startRedisProxy } from '../ratelimit/redis-helpers.js';

const actor = { id: 'test', sourceIp: null };

interface World {
  app: App;
  gateway: RunningGateway;
  upstream: Upstream;
  clock: ReturnType<typeof createManualClock>;
  get(path: string, key: string): Promise<Response>;
  consumer(name: string, extra?: Record<string, unknown>): Promise<string>;
  key(consumerId: string, extra?: Record<string, unknown>): Promise<{ key: string; id: string }>;
  close(): Promise<void>;
}

async function world(extraConfig: Record<string, unknown> = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-limits-'));
  const upstream = await startUpstream();
  const clock = createManualClock(Date.UTC(2026, 0, 31, 23, 58, 0));
  const config = validateConfig(
    {
      store: `sqlite:${join(dir, 'p.db')}`,
      log: { level: 'silent' },
      apis: [
        { name: 'limited', basePath: '/limited', upstream: upstream.url, auth: ['api-key'], rateLimit: { limit: 5, window: '1m' } },
        { name: 'open', basePath: '/open', upstream: upstream.url, auth: ['api-key'] },
        { name: 'jwt', basePath: '/jwt', upstream: upstream.url, auth: ['jwt'] },
        { name: 'scoped', basePath: '/scoped', upstream: upstream.url, auth: ['api-key'], scopes: ['orders:read'] },
        { name: 'jwt-scoped', basePath: '/jwt-scoped', upstream: upstream.url, auth: ['jwt'], scopes: ['orders:read'] },
        { name: 'jwt-elsewhere', basePath: '/jwt-elsewhere', upstream: upstream.url, auth: ['jwt'], audience: 'https://elsewhere.example' },
      ],
      ...extraConfig,
    },
    'test',
  );
  const app = await createApp({ config, clock, logger: testLogger() });
  const gateway = await startGateway({
    app,
    baseDir: dir,
    host: '127.0.0.1',
    port: 0,
    register: (server) => registerOAuthRoutes(server, { oauth: app.oauth, isAdminKey: (key) => app.verifyKey(key) }),
  });
  return {
    app,
    gateway,
    upstream,
    clock,
    get: (path, key) => fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${key}` } }),
    async consumer(name, extra = {}) {
      return (await app.consumers.create({ name, scopes: [], ...extra }, actor)).id;
    },
    async key(consumerId, extra = {}) {
      const issued = await app.keys.create(consumerId, extra, actor);
      return { key: issued.key, id: issued.record.id };
    },
    async close() {
      await gateway.close();
      await app.close();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends `count` requests one after another (the order decides which one is refused) and returns their statuses. */
async function statuses(count: number, send: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await send();
    await response.arrayBuffer();
    out.push(response.status);
  }
  return out;
}

describe('rate limits at the gateway (memory)', () => {
  test('5 per minute per consumer on an API: two keys share it; others are unaffected', async () => {
    const w = await world();
    try {
      const acme = await w.consumer('acme');
      const [k1, k2] = [await w.key(acme), await w.key(acme)];
      const other = await w.key(await w.consumer('other'));
      for (let i = 0; i < 5; i++) {
        const response = await w.get('/limited/orders', i % 2 ? k2.key : k1.key);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('ratelimit-policy'), '"api-consumer";q=5;w=60');
        assert.match(response.headers.get('ratelimit')!, new RegExp(`^"api-consumer";r=${4 - i};t=\\d+$`));
        await response.arrayBuffer();
      }
      const refused = await w.get('/limited/orders', k2.key);
      assert.equal(refused.status, 429);
      assert.match(refused.headers.get('content-type')!, /application\/problem\+json/);
      const body: any = await refused.json();
      assert.equal(body.code, 'RATE_LIMITED');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.match(refused.headers.get('ratelimit')!, /^"api-consumer";r=0;t=\d+$/);
      assert.equal(refused.headers.get('ratelimit-policy'), '"api-consumer";q=5;w=60');

      assert.equal((await w.get('/limited/orders', other.key)).status, 200);
      const open = await w.get('/open/orders', k1.key);
      assert.equal(open.status, 200);
      assert.equal(open.headers.get('ratelimit'), null, 'an unlimited API sends no RateLimit headers');
    } finally {
      await w.close();
    }
  });

  test('a key limited to 2/min inside a consumer limited to 100/min does not spend the consumer’s budget when refused', async () => {
    const w = await world();
    try {
      const acme = await w.consumer('acme', { rateLimit: { limit: 100, window: '1m' } });
      const tight = await w.key(acme, { rateLimit: { limit: 2, window: '1m' } });
      const loose = await w.key(acme);
      assert.deepEqual(await statuses(5, () => w.get('/open/x', tight.key)), [200, 200, 429, 429, 429]);
      const response = await w.get('/open/x', loose.key);
      assert.equal(response.status, 200);
      // Two of the tight key's requests and this one: 97 left, not 94.
      assert.match(response.headers.get('ratelimit')!, /^"consumer";r=97;t=\d+$/);
    } finally {
      await w.close();
    }
  });

  test('the window slides: no double burst at its edge', async () => {
    const w = await world();
    try {
      const { key } = await w.key(await w.consumer('edge'));
      w.clock.set(Date.UTC(2026, 0, 31, 23, 58, 59, 500)); // just before a minute boundary
      assert.deepEqual(await statuses(6, () => w.get('/limited/a', key)), [200, 200, 200, 200, 200, 429]);
      w.clock.advance(1_000); // just after the boundary: a fixed window would allow 5 more
      assert.equal((await w.get('/limited/a', key)).status, 429);
      w.clock.advance(60_000); // a whole window later everything has slid out
      assert.equal((await w.get('/limited/a', key)).status, 200);
    } finally {
      await w.close();
    }
  });

  test('quota of 3 per month: the fourth is refused, verify says QUOTA_EXCEEDED, next month it works', async () => {
    const w = await world();
    try {
      const consumerId = await w.consumer('metered', { quota: { limit: 3, period: 'month' } });
      const { key } = await w.key(consumerId);
      assert.deepEqual(await statuses(3, () => w.get('/open/a', key)), [200, 200, 200]);
      const refused = await w.get('/open/a', key);
      assert.equal(refused.status, 429);
      assert.equal(((await refused.json()) as any).code, 'QUOTA_EXCEEDED');
      const verify = await w.app.verifyKey(key);
      assert.equal(verify.code, 'VALID', 'the key itself is fine');
      const { buildAdminServer } = await import('../../src/admin/server.js');
      const admin = await buildAdminServer(w.app, { trustedActor: actor });
      try {
        const answer = (await admin.inject({ method: 'POST', url: '/admin/v1/keys/verify', payload: { key } })).json();
        assert.equal(answer.code, 'QUOTA_EXCEEDED');
        assert.equal(answer.quotas.consumer.remaining, 0);
        const shown = (await admin.inject({ method: 'GET', url: `/admin/v1/consumers/${consumerId}` })).json();
        assert.deepEqual(shown.quotaStatus, { limit: 3, period: 'month', used: 3, remaining: 0, resetAt: '2026-02-01T00:00:00.000Z' });
        w.clock.set(Date.UTC(2026, 1, 1, 0, 0, 1));
        assert.equal((await w.get('/open/a', key)).status, 200);
        assert.equal((await admin.inject({ method: 'POST', url: '/admin/v1/keys/verify', payload: { key } })).json().code, 'VALID');
      } finally {
        await admin.close();
      }
    } finally {
      await w.close();
    }
  });

  test('usage: N requests through the gateway are N in the usage endpoint after a flush', async () => {
    const w = await world();
    try {
      const consumerId = await w.consumer('counted');
      const { key, id } = await w.key(consumerId);
      assert.deepEqual(await statuses(4, () => w.get('/open/a', key)), [200, 200, 200, 200]);
      await w.get('/open/a', `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`); // refused before any consumer is known: counted under the API only
      assert.deepEqual(await statuses(6, () => w.get('/limited/a', key)), [200, 200, 200, 200, 200, 429]);
      await w.app.usage.flush();
      const to = new Date(w.clock.now() + 60_000).toISOString();
      const points = await w.app.store.queryUsage({ consumerId, from: 0, to: Date.parse(to), granularityMs: 60_000 });
      assert.deepEqual(
        points.map((p) => [p.statusClass, p.count]),
        [
          ['2xx', 9],
          ['4xx', 1],
        ],
      );
      const byKey = await w.app.store.queryUsage({ credentialId: id, api: 'limited', from: 0, to: Date.parse(to), granularityMs: 86_400_000 });
      assert.equal(
        byKey.reduce((n, p) => n + p.count, 0),
        6,
      );
    } finally {
      await w.close();
    }
  });
});

describe('usage counts refused requests', () => {
  test("401, 403 and 429 count as the consumer's when the credential is recognised, and under the API otherwise", async () => {
    const w = await world();
    try {
      const consumerId = await w.consumer('refused');
      const live = await w.key(consumerId);
      const revoked = await w.key(consumerId);
      await w.app.keys.revoke(revoked.id, actor);
      assert.deepEqual(await statuses(2, () => w.get('/open/a', revoked.key)), [401, 401]);
      assert.deepEqual(await statuses(1, () => w.get('/scoped/a', live.key)), [403]);
      assert.deepEqual(await statuses(6, () => w.get('/limited/a', live.key)), [200, 200, 200, 200, 200, 429]);
      // No credential, and a key nobody issued: no consumer is known, so they count under the API alone.
      assert.deepEqual(await statuses(1, async () => fetch(`${w.gateway.url}/scoped/a`)), [401]);
      assert.deepEqual(await statuses(1, () => w.get('/scoped/a', `${live.key.slice(0, -1)}${live.key.endsWith('x') ? 'y' : 'x'}`)), [401]);
      await w.app.usage.flush();
      const to = w.clock.now() + 60_000;
      const sum = (points: Array<{ statusClass: string; count: number }>) =>
        Object.entries(
          points.reduce<Record<string, number>>((n, p) => {
            n[p.statusClass] = (n[p.statusClass] ?? 0) + p.count;
            return n;
          }, {}),
        ).sort();
      const day = 86_400_000;
      assert.deepEqual(sum(await w.app.store.queryUsage({ consumerId, from: 0, to, granularityMs: day })), [
        ['2xx', 5],
        ['4xx', 4],
      ]);
      assert.deepEqual(sum(await w.app.store.queryUsage({ credentialId: revoked.id, from: 0, to, granularityMs: day })), [['4xx', 2]]);
      assert.deepEqual(sum(await w.app.store.queryUsage({ credentialId: live.id, api: 'scoped', from: 0, to, granularityMs: day })), [['4xx', 1]]);
      assert.deepEqual(sum(await w.app.store.queryUsage({ api: 'scoped', from: 0, to, granularityMs: day })), [['4xx', 3]]);
      assert.deepEqual(sum(await w.app.store.queryUsage({ api: 'limited', from: 0, to, granularityMs: day })), [
        ['2xx', 5],
        ['4xx', 1],
      ]);
    } finally {
      await w.close();
    }
  });
});

/** A guard against a hang, not a timing: a local Redis connects long before this. */
const REDIS_CONNECT_BOUND_MS = 10_000;

describe('rate limits at the gateway (Redis)', { skip: redisSkip }, () => {
  test('limits are shared through Redis; a Redis outage falls back to local limits without a 5xx, and Redis is used again after', async () => {
    const proxy = await startRedisProxy(redisUrl!);
    const prefix = randomPrefix();
    const w = await world({ redis: proxy.url, redisKeyPrefix: prefix });
    const direct = new Redis(redisUrl!);
    try {
      const { key } = await w.key(await w.consumer('shared'));
      // Once the node's Redis clients are connected (the bound only keeps a broken build from hanging),
      // a request to the open API could write counters there; it must not.
      assert.equal((await w.app.redisStatus!.settled(REDIS_CONNECT_BOUND_MS)).state, 'ready');
      await (await w.get('/open/warm', key)).arrayBuffer();
      assert.ok((await direct.keys(`${prefix}*`)).length === 0, 'the open API writes no counters');
      assert.deepEqual(await statuses(3, () => w.get('/limited/a', key)), [200, 200, 200]);
      assert.ok((await direct.keys(`${prefix}*`)).length > 0, 'counters live in Redis');

      proxy.cut();
      const during = await statuses(6, () => w.get('/limited/a', key));
      assert.ok(
        during.every((s) => s === 200 || s === 429),
        `no 5xx during the outage: ${during}`,
      );
      assert.equal(during.filter((s) => s === 200).length, 5, 'the local limiter applies the same limit');

      proxy.restore();
      // Recovery is probed about once a second of the injected clock; move it and retry until Redis answers.
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        w.clock.advance(1_100);
        await (await w.get('/limited/a', key)).arrayBuffer();
        back = !w.app.limiters.fallback!.stats.degraded;
        if (!back) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(back, 'Redis is used again');
      assert.ok(w.app.limiters.fallback!.stats.fallbacks >= 6);
      assert.match(await w.app.metrics.render(), /^portcullis_ratelimit_fallback_total [1-9]/m);
    } finally {
      await w.close();
      await deleteKeysUnder(direct, prefix);
      direct.disconnect();
      await proxy.close();
    }
  });
});

describe('rate limits apply to OAuth clients alike', () => {
  test('a client limited to 2 per minute: its JWTs get 429 on the third request; the consumer’s quota counts JWT requests too', async () => {
    const w = await world({ oauth: { masterKey: Buffer.alloc(32, 7).toString('base64url') } });
    try {
      const consumerId = await w.consumer('m2m', { scopes: [], quota: { limit: 4, period: 'day' } });
      const { client, secret } = await w.app.oauth.clients.create(
        consumerId,
        { authMethod: 'client_secret_post', rateLimit: { limit: 2, window: '1m' } },
        actor,
      );
      const token = await fetch(`${w.gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.id, client_secret: secret!.secret }),
      });
      assert.equal(token.status, 200, await token.clone().text());
      const { access_token } = (await token.json()) as { access_token: string };
      const call = () => fetch(`${w.gateway.url}/jwt/a`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.deepEqual(await statuses(3, call), [200, 200, 429]);
      // Two JWT requests and two API-key requests use up the consumer's daily quota of 4.
      const { key } = await w.key(consumerId);
      assert.deepEqual(await statuses(3, () => w.get('/open/a', key)), [200, 200, 429]);
      const refused = await w.get('/open/a', key);
      assert.equal(((await refused.json()) as any).code, 'QUOTA_EXCEEDED');
    } finally {
      await w.close();
    }
  });
});

describe("usage counts refused JWTs as their consumer's", () => {
  test('a valid token short of a scope (403) or meant for another audience (401) counts under its consumer and client', async () => {
    const w = await world({ oauth: { masterKey: Buffer.alloc(32, 7).toString('base64url') } });
    try {
      const consumerId = await w.consumer('jwt-refused');
      const { client, secret } = await w.app.oauth.clients.create(consumerId, { authMethod: 'client_secret_post' }, actor);
      const token = await fetch(`${w.gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.id, client_secret: secret!.secret }),
      });
      assert.equal(token.status, 200, await token.clone().text());
      const { access_token } = (await token.json()) as { access_token: string };
      const call = (path: string) => fetch(`${w.gateway.url}${path}`, { headers: { authorization: `Bearer ${access_token}` } });
      const scoped = await call('/jwt-scoped/a');
      assert.equal(scoped.status, 403);
      assert.equal(((await scoped.json()) as any).code, 'INSUFFICIENT_SCOPE');
      const elsewhere = await call('/jwt-elsewhere/a');
      assert.equal(elsewhere.status, 401);
      assert.equal(((await elsewhere.json()) as any).code, 'CREDENTIAL_INVALID');
      assert.equal((await call('/jwt/a')).status, 200);
      await w.app.usage.flush();
      const to = w.clock.now() + 60_000;
      const day = 86_400_000;
      const counts = async (filter: Record<string, string>) =>
        (await w.app.store.queryUsage({ ...filter, from: 0, to, granularityMs: day })).map((p) => [p.statusClass, p.count]).sort();
      assert.deepEqual(await counts({ consumerId, api: 'jwt-scoped' }), [['4xx', 1]]);
      assert.deepEqual(await counts({ credentialId: client.id, api: 'jwt-elsewhere' }), [['4xx', 1]]);
      assert.deepEqual(await counts({ consumerId }), [
        ['2xx', 1],
        ['4xx', 2],
      ]);
    } finally {
      await w.close();
    }
  });
});
