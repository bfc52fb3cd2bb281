// A wrong Redis URL is visible: the start log names its host and port (never the URL's password) and
// what failed, and /readyz answers 200 "degraded" with the Redis state (the node still serves, with
// per-node limits) rather than plain "ready"; when Redis answers, "ready" with its state.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { eventually } from '../cluster/helpers.js';
import { noteSecret, testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';
import { randomPrefix, redisSkip, redisUrl, startRedisProxy } from '../ratelimit/redis-helpers.js';

async function start(redis: string, dir: string, logger = testLogger('info')): Promise<RunningPortcullis> {
  const config = validateConfig(
    {
      store: `sqlite:${join(dir, 'p.db')}`,
      redis,
      redisKeyPrefix: randomPrefix(),
      listen: { host: '127.0.0.1', port: 0 },
      admin: { port: 0 },
      oauth: { masterKey: generateMasterKey() },
    },
    'test',
  );
  const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger, print: () => {} });
  noteSecret(running.firstAdminKey);
  return running;
}

async function readyz(running: RunningPortcullis): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.adminUrl}/readyz`);
  return { status: response.status, body: await response.json() };
}

test('an unreachable Redis: the start log names host:port and what failed, never the password; /readyz is 200 degraded with the reason', async () => {
  const tmp = tempDir();
  const password = 'hunter2-not-in-any-log-0123456789';
  noteSecret(password);
  const logger = testLogger('info');
  const running = await start(`redis://portcullis:${password}@127.0.0.1:1/0`, tmp.dir, logger);
  try {
    // Refused; or, when the event loop was busy past connectTimeout while the app was built, timed out.
    const failed = /^connection (refused|timed out)$/;
    const logs = logger.captured.join('');
    assert.match(logs, /redis at 127\.0\.0\.1:1 is unreachable \(connection (refused|timed out)\)/);
    const started = logger.captured.map((line) => JSON.parse(line)).find((line) => line.msg === 'portcullis started');
    assert.equal(started.redis.target, '127.0.0.1:1');
    assert.equal(started.redis.state, 'unreachable');
    assert.match(started.redis.reason, failed);
    assert.ok(!logs.includes(password));

    const ready = await readyz(running);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'degraded');
    assert.equal(ready.body.redis.state, 'unreachable');
    assert.match(ready.body.redis.reason, failed);
    assert.ok(!JSON.stringify(ready.body).includes(password));
    assert.ok(!JSON.stringify(ready.body).includes('127.0.0.1:1'), 'no Redis address on the route without an admin key');
  } finally {
    await running.close();
    tmp.remove();
  }
});

test('without Redis configured /readyz says ready and nothing about Redis', async () => {
  const tmp = tempDir();
  const config = validateConfig({ store: `sqlite:${join(tmp.dir, 'p.db')}`, listen: { host: '127.0.0.1', port: 0 }, admin: { port: 0 } }, 'test');
  const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => {} });
  noteSecret(running.firstAdminKey);
  try {
    assert.deepEqual(await readyz(running), { status: 200, body: { status: 'ready' } });
  } finally {
    await running.close();
    tmp.remove();
  }
});

test('a reachable Redis: ready with its state; degraded while the connection is cut, ready again when it is back', { skip: redisSkip }, async () => {
  const tmp = tempDir();
  const proxy = await startRedisProxy(redisUrl!);
  const logger = testLogger('info');
  const running = await start(proxy.url, tmp.dir, logger);
  try {
    // A start waits up to 1.5 s for Redis' first answer; on a loaded machine the connection may take longer.
    await eventually('redis ready', () => running.app.redisStatus!.view().state === 'ready');
    const ready = await readyz(running);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.redis.state, 'ready');

    proxy.cut();
    await eventually('redis unreachable', () => running.app.redisStatus!.view().state === 'unreachable');
    const degraded = await readyz(running);
    assert.equal(degraded.status, 200);
    assert.equal(degraded.body.status, 'degraded');
    assert.ok(degraded.body.redis.reason, JSON.stringify(degraded.body));

    proxy.restore();
    await eventually('redis back', () => running.app.redisStatus!.view().state === 'ready');
    assert.equal((await readyz(running)).body.status, 'ready');
    assert.match(logger.captured.join(''), /is reachable again/);
  } finally {
    await running.close();
    await proxy.close();
    tmp.remove();
  }
});
