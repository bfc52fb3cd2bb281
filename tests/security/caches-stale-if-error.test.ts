// Stale-if-error: while the store is unreachable, a credential this node verified recently keeps
// working for keys.cache.staleIfError past its cache TTL (VALID answers only, never for a key known
// revoked), and a metric counts those answers; a credential the node does not hold still fails
// closed (503). The outage is real: PostgreSQL behind a TCP proxy that is cut. Cache TTLs are
// jittered (shortened by up to a fifth) so entries filled together do not expire together.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { createKeyCache } from '../../src/keys/cache.js';
import { createManualClock } from '../../src/lib/clock.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { KeyVerificationRecord, Store } from '../../src/store/types.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { testLogger } from '../helpers/logs.js';
import { POSTGRES_URL, postgresAdapter } from '../helpers/stores.js';
import { basic, createOAuthHarness } from '../oauth/helpers.js';
import { type RedisProxy, startRedisProxy } from '../ratelimit/redis-helpers.js';

const actor = { id: 'test', sourceIp: null };
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('stale-if-error through a PostgreSQL outage', { skip: postgresAdapter.skip }, () => {
  const schema = `pcl_test_stale_${process.pid}_${randomBytes(3).toString('hex')}`;
  let proxy: RedisProxy; // a plain TCP proxy; here in front of PostgreSQL
  let store: Store;
  let app: App;
  let gateway: RunningGateway;
  let upstream: Upstream;
  let dir: string;
  const clock = createManualClock(Date.UTC(2026, 4, 4, 8));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-stale-'));
    proxy = await startRedisProxy(POSTGRES_URL!);
    store = openPostgresStore(proxy.url, { schema, maxConnections: 2 });
    await store.migrate();
    upstream = await startUpstream();
    const config = validateConfig(
      {
        store: 'postgres://unused',
        issuer: 'https://auth.portcullis.test',
        log: { level: 'silent' },
        oauth: { masterKey: generateMasterKey(), syncInterval: '1h' },
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key', 'jwt'] }],
      },
      'test',
    );
    app = await createApp({ config, clock, store, logger: testLogger() });
    gateway = await startGateway({ app, baseDir: dir, host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await gateway?.close();
    await app?.close().catch(() => {});
    await upstream?.close();
    await proxy?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (credential: string) => {
    const response = await fetch(`${gateway.url}/orders/1`, { headers: { authorization: `Bearer ${credential}` } });
    const text = await response.text();
    return { status: response.status, code: response.status === 200 ? 'OK' : (JSON.parse(text) as { code: string }).code };
  };
  const staleAnswers = async (credential: string) => {
    const line = (await app.metrics.render()).split('\n').find((l) => l.startsWith(`portcullis_auth_stale_answers_total{credential="${credential}"}`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  test('cached credentials keep working past their TTL, up to staleIfError; others fail closed', async () => {
    const consumer = await app.consumers.create({ name: 'steady', scopes: ['read'] }, actor);
    const cachedKey = (await app.keys.create(consumer.id, {}, actor)).key;
    const notCached = (await app.keys.create(consumer.id, {}, actor)).key;
    const revoked = await app.keys.create(consumer.id, {}, actor);
    const { client, secret } = await app.oauth.clients.create(consumer.id, {}, actor);
    const issued = await app.oauth.token({
      authorization: basic(client.id, secret!.secret),
      params: new Map([['grant_type', ['client_credentials']]]),
      ip: '127.0.0.1',
    });
    assert.ok(issued.ok);
    const token = issued.response.access_token;

    assert.equal((await call(cachedKey)).status, 200);
    assert.equal((await call(token)).status, 200);
    await app.keys.revoke(revoked.record.id, actor);
    assert.equal((await call(revoked.key)).status, 401, 'known revoked, and cached so');

    clock.advance(31 * SECOND); // past the 30 s TTL of every entry
    proxy.cut();
    try {
      assert.deepEqual(await call(cachedKey), { status: 200, code: 'OK' }, 'a stale but valid key');
      assert.deepEqual(await call(token), { status: 200, code: 'OK' }, 'a token whose client is cached stale');
      assert.ok((await staleAnswers('api-key')) >= 1);
      assert.ok((await staleAnswers('jwt')) >= 1);
      const unknown = await call(notCached);
      assert.equal(unknown.status, 503, 'a key this node does not hold: fail closed');
      const stillRevoked = await call(revoked.key);
      assert.notEqual(stillRevoked.status, 200, 'never for a key known revoked');

      clock.advance(5 * MINUTE - 31 * SECOND - 1); // 1 ms before TTL + staleIfError of the earliest possible expiry
      assert.equal((await call(cachedKey)).status, 200);
      clock.advance(31 * SECOND); // past TTL + staleIfError, whatever the jitter
      assert.equal((await call(cachedKey)).status, 503, 'the stale window is bounded');
      assert.equal((await call(token)).status, 503);
    } finally {
      proxy.restore();
    }
    // The store is back: answers are fresh again.
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      back = (await call(cachedKey)).status === 200;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(back);
    assert.equal((await call(token)).status, 200);
  });
});

describe('TTL jitter and the stale window of the caches', () => {
  const unrestricted = { rateLimit: null, quota: null, allowedIps: [] };
  const row = (i: number): KeyVerificationRecord => ({
    key: { id: `key_${i}`, consumerId: 'con_1', scopes: [], metadata: {}, expiresAt: null, enabled: true, revokedAt: null, ...unrestricted },
    consumer: { id: 'con_1', name: 'shop', metadata: {}, scopes: [], enabled: true, ...unrestricted, updatedAt: 1 },
  });

  test('key cache: entries filled together expire spread over the last fifth of the TTL; stale ones stay for staleIfError', () => {
    let now = 1_000_000;
    const cache = createKeyCache({ maxEntries: 1000, ttlMs: 30 * SECOND, negativeTtlMs: 2 * SECOND, staleIfErrorMs: 5 * MINUTE, now: () => now });
    for (let i = 0; i < 200; i++) cache.set(`h${i}`, row(i));
    const fresh = () => Array.from({ length: 200 }, (_, i) => cache.get(`h${i}`)).filter((e) => e !== undefined).length;
    const stale = () => Array.from({ length: 200 }, (_, i) => cache.stale(`h${i}`)).filter((e) => e !== undefined).length;
    now += 24 * SECOND - 1;
    assert.equal(fresh(), 200, 'none expires before 80 % of the TTL');
    now += 3 * SECOND + 1;
    const half = fresh();
    assert.ok(half > 0 && half < 200, `expiries are spread, not a wave (${half} of 200 fresh at 90 %)`);
    now = 1_000_000 + 30 * SECOND;
    assert.equal(fresh(), 0, 'none outlives the configured TTL');
    assert.equal(stale(), 200, 'all usable if the store fails');
    now = 1_000_000 + 30 * SECOND + 5 * MINUTE;
    assert.equal(stale(), 0, 'none outlives TTL + staleIfError');
  });

  test('principal cache (clients for tokens): the same spread, on a real store', async () => {
    const h = await createOAuthHarness();
    try {
      const consumer = await h.createConsumer();
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push((await h.app.oauth.clients.create(consumer.id, {}, actor)).client.id);
      const { principals } = h.app.oauth;
      const t0 = h.clock.now();
      for (const id of ids) await principals.client(id);
      const fresh = () => ids.filter((id) => principals.peekClient(id) !== undefined).length;
      h.clock.set(t0 + 24 * SECOND - 1);
      assert.equal(fresh(), 200);
      h.clock.set(t0 + 27 * SECOND);
      const half = fresh();
      assert.ok(half > 0 && half < 200, `${half} of 200 fresh at 90 %`);
      h.clock.set(t0 + 30 * SECOND);
      assert.equal(fresh(), 0);
    } finally {
      await h.close();
    }
  });
});
