// A silent PostgreSQL partition (packets dropped, no reset) must not hang store-bound requests or
// /readyz, and a write answered 503 must not commit once the network is back. The partition is a
// real TCP proxy between Portcullis and PostgreSQL that stops forwarding without closing anything.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { validateConfig } from '../../src/config/load.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { testLogger } from '../helpers/logs.js';
import { type PartitionProxy, startPartitionProxy } from '../helpers/partition-proxy.js';
import { POSTGRES_URL, postgresAdapter } from '../helpers/stores.js';

const STORE_TIMEOUT_MS = 500;
/** Generous: the bound is the store timeout; this allows for a loaded test machine. */
const ANSWER_BOUND_MS = STORE_TIMEOUT_MS + 1500;
const READY_BOUND_MS = 1000;

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  replayed: string | null;
  body: any;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = performance.now();
  // A hung request fails the test here rather than hanging it.
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return {
    status: response.status,
    ms: performance.now() - started,
    retryAfter: response.headers.get('retry-after'),
    replayed: response.headers.get('idempotent-replayed'),
    body,
  };
}

interface Setup {
  running: RunningPortcullis;
  proxy: PartitionProxy;
  direct: pg.Client;
  schema: string;
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  count(name: string): Promise<number>;
  /** Heals the partition and waits until PostgreSQL has dealt with everything it held. */
  heal(): Promise<void>;
  close(): Promise<void>;
}

async function setUp(storeTimeout: string | undefined = `${STORE_TIMEOUT_MS}ms`): Promise<Setup> {
  const schema = `pcl_test_part_${process.pid}_${randomBytes(4).toString('hex')}`;
  const direct = new pg.Client({ connectionString: POSTGRES_URL });
  await direct.connect();
  await direct.query(`create schema "${schema}"`);
  const target = new URL(POSTGRES_URL!);
  const proxy = await startPartitionProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const store = new URL(proxy.through(POSTGRES_URL!));
  store.searchParams.set('options', `-c search_path=${schema}`);
  store.searchParams.set('application_name', schema);
  const config = validateConfig(
    {
      store: store.toString(),
      ...(storeTimeout ? { storeTimeout } : {}),
      admin: { port: 0, host: '127.0.0.1' },
      listen: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
    },
    'test',
  );
  const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => {} });
  return {
    running,
    proxy,
    direct,
    schema,
    admin: (method, path, body, headers = {}) =>
      call(`${running.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${running.firstAdminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    async count(name) {
      const { rows } = await direct.query(`select count(*)::int as n from "${schema}".consumers where name = $1`, [name]);
      return rows[0].n;
    },
    async heal() {
      proxy.heal();
      await proxy.drained();
      // A session still inside a transaction (or running a statement) could yet commit: wait it out.
      for (let i = 0; ; i++) {
        const { rows } = await direct.query(
          `select count(*)::int as n from pg_stat_activity where application_name = $1 and (state like 'idle in transaction%' or state = 'active')`,
          [schema],
        );
        if (rows[0].n === 0) return;
        if (i === 200) throw new Error('PostgreSQL sessions stayed busy after the partition healed');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      proxy.heal();
      await running.close().catch(() => {});
      await proxy.close();
      await direct.query(`drop schema if exists "${schema}" cascade`);
      await direct.end();
    },
  };
}

test('a silent partition: bounded 503s, /readyz within 1 s, no late commit, a safe retry with Idempotency-Key', {
  skip: postgresAdapter.skip,
  timeout: 120_000,
}, async (t) => {
  const s = await setUp();
  try {
    // The admin key is verified (and cached) before the partition: only the store calls hang.
    assert.equal((await s.admin('POST', '/admin/v1/consumers', { name: 'before' })).status, 201);

    s.proxy.partition();
    const idempotencyKey = randomUUID();
    const write = await s.admin('POST', '/admin/v1/consumers', { name: 'during' }, { 'idempotency-key': idempotencyKey });
    assert.equal(write.status, 503, JSON.stringify(write.body));
    assert.equal(write.body.code, 'STORE_UNAVAILABLE');
    assert.ok(write.retryAfter, 'Retry-After');
    assert.ok(write.ms <= ANSWER_BOUND_MS, `the write answered in ${Math.round(write.ms)} ms`);

    const ready = await call(`${s.running.adminUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.ok(ready.retryAfter, 'Retry-After');
    assert.ok(ready.ms <= READY_BOUND_MS, `/readyz answered in ${Math.round(ready.ms)} ms`);

    const list = await s.admin('GET', '/admin/v1/consumers');
    assert.equal(list.status, 503);
    assert.ok(list.ms <= ANSWER_BOUND_MS, `the read answered in ${Math.round(list.ms)} ms`);
    t.diagnostic(
      `storeTimeout ${STORE_TIMEOUT_MS} ms: write 503 in ${Math.round(write.ms)} ms, /readyz 503 in ${Math.round(ready.ms)} ms, read 503 in ${Math.round(list.ms)} ms`,
    );

    await s.heal();
    assert.equal(await s.count('during'), 0, 'the write answered 503 did not commit after the partition healed');

    // The client retries with the same key once the store answers again (as Retry-After tells it to):
    // one consumer, and the same answer replayed after that.
    for (let i = 0; (await call(`${s.running.adminUrl}/readyz`)).status !== 200; i++) {
      if (i === 100) throw new Error('the store did not answer /readyz after the partition healed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const retried = await s.admin('POST', '/admin/v1/consumers', { name: 'during' }, { 'idempotency-key': idempotencyKey });
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    const replayed = await s.admin('POST', '/admin/v1/consumers', { name: 'during' }, { 'idempotency-key': idempotencyKey });
    assert.equal(replayed.status, 201);
    assert.equal(replayed.replayed, 'true');
    assert.deepEqual(replayed.body, retried.body);
    assert.equal(await s.count('during'), 1);
    const other = await s.admin('POST', '/admin/v1/consumers', { name: 'someone-else' }, { 'idempotency-key': idempotencyKey });
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(await s.count('someone-else'), 0);
    assert.equal((await call(`${s.running.adminUrl}/readyz`)).status, 200);
  } finally {
    await s.close();
  }
});

test('a partition that swallows the COMMIT: the write is answered 503 and never commits', { skip: postgresAdapter.skip, timeout: 120_000 }, async (t) => {
  const s = await setUp();
  try {
    assert.equal((await s.admin('POST', '/admin/v1/consumers', { name: 'before' })).status, 201);
    // Silence falls on the COMMIT (a simple-protocol Query message) of the transaction that
    // inserts the consumer: the worst moment.
    let inserting: number | undefined;
    s.proxy.partitionWhen((chunk, connection) => {
      const text = chunk.toString('latin1');
      if (text.includes('insert into "consumers"')) inserting = connection;
      return connection === inserting && text[0] === 'Q' && text.slice(5).startsWith('commit\0');
    });
    const write = await s.admin('POST', '/admin/v1/consumers', { name: 'at-commit' });
    assert.ok(s.proxy.partitioned, 'the COMMIT was held');
    assert.equal(write.status, 503, JSON.stringify(write.body));
    assert.equal(write.body.code, 'STORE_UNAVAILABLE');
    assert.ok(write.ms <= ANSWER_BOUND_MS, `the write answered in ${Math.round(write.ms)} ms`);
    t.diagnostic(`storeTimeout ${STORE_TIMEOUT_MS} ms: the write whose COMMIT was held got 503 in ${Math.round(write.ms)} ms`);

    // The held COMMIT reaches the server now, after the client was told 503: it must not commit.
    await s.heal();
    assert.equal(await s.count('at-commit'), 0, 'a transaction answered 503 committed later');
    assert.equal((await s.admin('POST', '/admin/v1/consumers', { name: 'at-commit' })).status, 201);
  } finally {
    await s.close();
  }
});

test('with the default storeTimeout (2 s), /readyz still answers within 1 s during a partition', { skip: postgresAdapter.skip, timeout: 60_000 }, async () => {
  const s = await setUp(undefined);
  try {
    assert.equal((await call(`${s.running.adminUrl}/readyz`)).status, 200);
    s.proxy.partition();
    const ready = await call(`${s.running.adminUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.ok(ready.ms <= READY_BOUND_MS, `/readyz answered in ${Math.round(ready.ms)} ms`);
  } finally {
    await s.close();
  }
});
