// Rate limits through a Redis outage, on two real nodes: each a Portcullis app and public listener on
// one SQLite file, both reaching Redis through a TCP proxy the test cuts. A 10/min limit must not
// become 10/min per node while Redis is away (the cluster admitted 2.3× before), and what the nodes
// admitted on their own must count once Redis is back (before, it was a fresh allowance: a burst).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/logger.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { eventually } from '../cluster/helpers.js';
import { type OpenedStore, sqliteAdapter } from '../helpers/stores.js';
import { deleteKeysUnder, type RedisProxy, randomPrefix, redisSkip, redisUrl, startRedisProxy } from '../ratelimit/redis-helpers.js';

const actor = { id: 'test', sourceIp: null };
/** Probes of the fallback limiter happen once a second of the (manual) clock. */
const PROBE_MS = 1_000;

describe('rate limits of a two-node cluster through a Redis outage', { skip: redisSkip }, () => {
  let opened: OpenedStore;
  let proxy: RedisProxy;
  let upstream: Server;
  const nodes: Array<{ app: App; gateway: RunningGateway }> = [];
  const prefix = randomPrefix();
  // Both nodes on one clock, so they agree on the window; it starts on a minute boundary.
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  let key = '';

  async function node(upstreamUrl: string, masterKey: string): Promise<{ app: App; gateway: RunningGateway }> {
    const config = validateConfig(
      {
        store: `sqlite:${opened.path}`,
        redis: proxy.url,
        redisKeyPrefix: prefix,
        issuer: 'https://auth.portcullis.test',
        oauth: { masterKey, syncInterval: '1h' },
        log: { level: 'silent' },
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstreamUrl, auth: ['api-key'], rateLimit: { limit: 10, window: '1m' } }],
      },
      'test',
    );
    const app = await createApp({ config, clock, store: openSqliteStore(opened.path!), logger: createLogger('silent') });
    const gateway = await startGateway({ app, baseDir: process.cwd(), host: '127.0.0.1', port: 0 });
    return { app, gateway };
  }

  async function call(index: number): Promise<{ status: number; code?: string }> {
    const response = await fetch(`${nodes[index]!.gateway.url}/orders/1`, { headers: { 'x-api-key': key } });
    const text = await response.text();
    return { status: response.status, ...(response.status === 200 ? {} : { code: (JSON.parse(text) as { code: string }).code }) };
  }

  before(async () => {
    opened = await sqliteAdapter.open();
    proxy = await startRedisProxy(redisUrl!);
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const masterKey = generateMasterKey();
    nodes.push(await node(upstreamUrl, masterKey), await node(upstreamUrl, masterKey));
    const consumer = await nodes[0]!.app.consumers.create({ name: 'shop' }, actor);
    key = (await nodes[0]!.app.keys.create(consumer.id, {}, actor)).key;
    // Each node announces itself on the change channel and answers a newcomer at once.
    await eventually('both nodes count two live nodes', () => nodes.every(({ app }) => app.changes.liveNodes() === 2));
    assert.match(await nodes[0]!.app.metrics.render(), /^portcullis_cluster_live_nodes 2$/m);
  });

  after(async () => {
    for (const { app, gateway } of nodes) {
      await gateway.close();
      await app.close();
    }
    await proxy?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    const redis = new Redis(redisUrl!);
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
    await opened?.cleanup();
  });

  test('10/min with Redis cut: both nodes together admit 10, not 20; after restore the outage traffic counts', async () => {
    // Shared while Redis answers: two requests, one on each node, use the one counter.
    assert.equal((await call(0)).status, 200);
    const second = await fetch(`${nodes[1]!.gateway.url}/orders/1`, { headers: { 'x-api-key': key } });
    assert.equal(second.status, 200);
    assert.match(second.headers.get('ratelimit') ?? '', /r=8/, 'node B saw node A’s request');
    await second.text();

    proxy.cut();
    const admitted = [0, 0];
    for (let i = 0; i < 40; i += 1) {
      const index = i % 2;
      const { status, code } = await call(index);
      if (status === 200) admitted[index]! += 1;
      else assert.deepEqual({ status, code }, { status: 429, code: 'RATE_LIMITED' });
    }
    assert.ok(
      nodes.every(({ app }) => app.limiters.fallback?.stats.degraded),
      'both nodes answered locally',
    );
    assert.ok(admitted[0]! + admitted[1]! <= 10, `the cluster admitted ${admitted[0]! + admitted[1]!} of a 10/min limit during the outage`);
    assert.deepEqual(admitted, [5, 5], 'each node: 10 / 2 live nodes');

    proxy.restore();
    // Each node's next probe (once a second of its clock) finds Redis back and hands over what it admitted.
    await eventually('both nodes back on Redis', async () => {
      clock.advance(PROBE_MS / 10);
      for (const { app } of nodes) await app.limiters.requests.peek({ rates: [{ key: 'probe', limit: 1, windowMs: 60_000 }] });
      return nodes.every(({ app }) => app.limiters.fallback?.stats.degraded === false);
    });
    assert.ok(clock.now() < Date.UTC(2026, 0, 1, 0, 1), 'still in the same minute');
    // 2 before the outage + 10 during it: the window is used up on both nodes, no burst.
    assert.deepEqual(await call(0), { status: 429, code: 'RATE_LIMITED' });
    assert.deepEqual(await call(1), { status: 429, code: 'RATE_LIMITED' });
  });
});
