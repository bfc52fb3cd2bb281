// Another process holding SQLite's write lock (a CLI command, a backup) must not freeze Portcullis:
// better-sqlite3 is synchronous, so waiting for the lock inside SQLite would stop the event loop.
// The lock is real: a child node process opens the same file, runs BEGIN IMMEDIATE and holds it 7 s.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { startPortcullis } from '../../src/server/start.js';
import { startUpstream } from '../gateway/helpers.js';
import { accessLogWritten } from '../helpers/app.js';
import { testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

const LOCK_MS = 7000;
const BOUND_MS = 100;

/** Starts a process that holds the database's write lock for `ms`; resolves once it holds it. */
function holdWriteLock(path: string, ms: number): Promise<{ child: ChildProcess; released: Promise<void> }> {
  const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `
    const Database = require(${JSON.stringify(betterSqlite3)});
    const db = new Database(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, ${ms});
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited with ${code}`))));
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => {
      if (String(chunk).startsWith('locked')) resolve({ child, released });
      else reject(new Error(`unexpected output: ${chunk}`));
    });
    child.once('error', reject);
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

test('a 7 s write lock held by another process freezes neither the gateway nor health, and loses no usage', { timeout: 60_000 }, async (t) => {
  const tmp = tempDir();
  const upstream = await startUpstream();
  const dbPath = join(tmp.dir, 'p.db');
  const config = validateConfig(
    {
      store: `sqlite:${dbPath}`,
      admin: { port: 0, host: '127.0.0.1' },
      listen: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key'] }],
      // Only this test's own flushes run: a periodic one (10 s by default) landing just after the lock
      // is released would write the counts first, and the flush below would find nothing to write.
      usage: { flushInterval: '1h' },
      keys: { lastUsedFlushInterval: '1h' },
    },
    'test',
  );
  const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => {} });
  let holder: ChildProcess | undefined;
  try {
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${running.adminUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${running.firstAdminKey}`, 'content-type': 'application/json', ...init.headers },
      });
    const consumer: any = await (await admin('/admin/v1/consumers', { method: 'POST', body: JSON.stringify({ name: 'acme' }) })).json();
    const issued: any = await (await admin(`/admin/v1/consumers/${consumer.id}/keys`, { method: 'POST', body: '{}' })).json();
    const gateway = () => fetch(`${running.gatewayUrl}/orders/1`, { headers: { 'x-api-key': issued.key } });
    // The key is verified (and cached) before the lock; these requests are counted as usage.
    let proxied = 0;
    for (let i = 0; i < 3; i++) {
      const response = await gateway();
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      proxied++;
    }
    await accessLogWritten();
    assert.ok(running.app.usage.pending > 0 && running.app.lastUsed.pending > 0, 'usage and last-used times wait for a flush');

    const lock = await holdWriteLock(dbPath, LOCK_MS);
    holder = lock.child;

    // An admin write and both background flushes meet the lock while the gateway and health go on.
    const write = timed(async () => {
      const response = await admin('/admin/v1/consumers', { method: 'POST', body: JSON.stringify({ name: 'during-lock' }) });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
    });
    const flushes = Promise.all([running.app.usage.flush(), running.app.lastUsed.flush()]);
    let settled = false;
    void Promise.allSettled([write, flushes]).then(() => (settled = true));
    const latencies: number[] = [];
    while (!settled) {
      const proxiedCall = await timed(gateway);
      assert.equal(proxiedCall.value.status, 200);
      await proxiedCall.value.arrayBuffer();
      proxied++;
      latencies.push(proxiedCall.ms);
      const health = await timed(() => fetch(`${running.adminUrl}/healthz`));
      assert.equal(health.value.status, 200);
      await health.value.arrayBuffer();
      latencies.push(health.ms);
    }
    const ready = await fetch(`${running.adminUrl}/readyz`);
    assert.equal(ready.status, 200, 'reads go on under the write lock (WAL)');

    // The bound is 100 ms each; on a loaded test machine the scheduler alone can stall a process for
    // tens of ms, so: 95 % within the bound and none over 5× it (a lock wait on the event loop
    // shows as seconds, not milliseconds).
    const slowest = Math.max(...latencies);
    const withinBound = latencies.filter((ms) => ms <= BOUND_MS).length / latencies.length;
    t.diagnostic(
      `${latencies.length} gateway and /healthz answers while the write waited; ${(withinBound * 100).toFixed(1)} % within ${BOUND_MS} ms, slowest ${slowest.toFixed(1)} ms`,
    );
    assert.ok(slowest <= 5 * BOUND_MS, `the slowest gateway or /healthz answer took ${Math.round(slowest)} ms`);
    assert.ok(withinBound >= 0.95, `${(withinBound * 100).toFixed(1)} % of answers within ${BOUND_MS} ms`);
    assert.ok(latencies.length >= 10, `${latencies.length} requests were answered while the write waited`);
    const answered = await write;
    assert.equal(answered.value.status, 503, JSON.stringify(answered.value.body));
    assert.equal(answered.value.body.code, 'STORE_UNAVAILABLE');
    assert.ok(answered.value.retryAfter, 'a 503 carries Retry-After');
    assert.ok(answered.ms < LOCK_MS - 1000, `the admin write answered in ${Math.round(answered.ms)} ms, before the lock was gone`);
    assert.deepEqual(await flushes, [0, 0], 'both flushes failed and kept their data');
    t.diagnostic(`the admin write was answered 503 after ${Math.round(answered.ms)} ms`);

    await lock.released;
    holder = undefined;
    await accessLogWritten();
    // Nothing was lost: the counts written after the lock are every request proxied.
    assert.ok((await running.app.usage.flush()) > 0);
    assert.ok((await running.app.lastUsed.flush()) > 0);
    const now = running.app.clock.now();
    const usage = await running.app.store.queryUsage({ consumerId: consumer.id, from: now - 3_600_000, to: now + 60_000, granularityMs: 3_600_000 });
    assert.equal(
      usage.reduce((sum, point) => sum + point.count, 0),
      proxied,
    );
    const key: any = await (await admin(`/admin/v1/keys/${issued.id}`)).json();
    assert.ok(key.lastUsedAt, 'the last-used time was written');
    // The write that was answered 503 left nothing behind, and the same write now succeeds.
    const names = ((await (await admin('/admin/v1/consumers')).json()) as any).items.map((c: any) => c.name);
    assert.ok(!names.includes('during-lock'));
    const after = await admin('/admin/v1/consumers', { method: 'POST', body: JSON.stringify({ name: 'during-lock' }) });
    assert.equal(after.status, 201);
  } finally {
    holder?.kill();
    await running.close();
    await upstream.close();
    tmp.remove();
  }
});
