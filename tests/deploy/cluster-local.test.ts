// scripts/cluster-local.sh: three real nodes on one PostgreSQL schema and one Redis. A key created
// through node 1's admin API is accepted by node 3's gateway, a wrong one refused; `stop` ends them all.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { tempDir } from '../helpers/stores.js';

const run = promisify(execFile);
const SCRIPT = resolve('scripts/cluster-local.sh');
const POSTGRES_URL = process.env.PORTCULLIS_TEST_POSTGRES_URL;
const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('cluster-local.sh starts three nodes sharing keys, and stops them', {
  skip: POSTGRES_URL && REDIS_URL ? false : 'PORTCULLIS_TEST_POSTGRES_URL and PORTCULLIS_TEST_REDIS_URL are needed',
  // About 5–7 s alone; three node processes starting on a loaded 2-core machine can take several times that.
  timeout: 60_000,
}, async () => {
  const upstream = createServer((request, response) => response.end(JSON.stringify({ path: request.url })));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const schema = `pcl_cluster_${randomBytes(4).toString('hex')}`;
  const tmp = tempDir();
  const env = {
    ...process.env,
    CLUSTER_POSTGRES_URL: POSTGRES_URL,
    CLUSTER_REDIS_URL: REDIS_URL,
    CLUSTER_SCHEMA: schema,
    CLUSTER_UPSTREAM: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    CLUSTER_BASE_PORT: '0',
    CLUSTER_DIR: tmp.dir,
  };
  const pids: number[] = [];
  try {
    const { stdout } = await run(SCRIPT, ['start'], { env, timeout: 45_000 });
    const nodes = [...stdout.matchAll(/^node (\d): gateway (\S+) admin (\S+) \(pid (\d+)/gm)].map((m) => ({ gateway: m[2]!, admin: m[3]!, pid: Number(m[4]) }));
    assert.equal(nodes.length, 3, stdout);
    pids.push(...nodes.map((n) => n.pid));
    assert.equal(new Set(nodes.map((n) => n.gateway)).size, 3);
    // The master key and the admin key are readable by their owner only.
    for (const [path, mode] of [
      [tmp.dir, 0o700],
      [`${tmp.dir}/master.key`, 0o600],
      [`${tmp.dir}/admin.key`, 0o600],
    ] as const) {
      assert.equal(statSync(path).mode & 0o777, mode, path);
    }
    const adminKey = readFileSync(`${tmp.dir}/admin.key`, 'utf8');
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${nodes[0]!.admin}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as { id: string; key: string };
    };
    const consumer = await admin('/consumers', { name: 'cluster' });
    const { key } = await admin(`/consumers/${consumer.id}/keys`, {});

    const onNode3 = await fetch(`${nodes[2]!.gateway}/demo/hello`, { headers: { 'x-api-key': key } });
    assert.equal(onNode3.status, 200);
    assert.deepEqual(await onNode3.json(), { path: '/hello' });
    const wrong = await fetch(`${nodes[2]!.gateway}/demo/hello`, { headers: { 'x-api-key': `${key.slice(0, -1)}x` } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    for (const node of nodes) assert.equal((await fetch(`${node.admin}/readyz`)).status, 200);

    const stopped = await run(SCRIPT, ['stop'], { env, timeout: 20_000 });
    assert.match(stopped.stdout, /^stopped 3 node\(s\)$/m);
    assert.deepEqual(
      pids.filter((pid) => alive(pid)),
      [],
    );
  } finally {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    upstream.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
    const redis = new Redis(REDIS_URL!);
    const leftover = await redis.keys(`portcullis:${schema}:*`);
    if (leftover.length > 0) await redis.del(...leftover);
    redis.disconnect();
    tmp.remove();
  }
});
