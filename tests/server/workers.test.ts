// `portcullis start` with `workers: 2`, as an operator runs it (the executable, a config file): what the
// workers of one node share — revocations, one exact rate limit, /metrics for the whole node — through the
// supervisor without Redis and through Redis with it; and (without Redis) a rolling restart (SIGUSR2) under
// steady load with no failed request, a dead worker's restart and reloads.
// Which worker answered is read from the access log: every worker's lines carry its `worker` id.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { createTestApp } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { followLogs, noteSecret } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';
import { deleteKeysUnder, redisSkip, redisUrl } from '../ratelimit/redis-helpers.js';

const CLI = resolve('dist/src/cli/launch.cjs');

interface Answer {
  status: number;
  body: string;
}

/** One request; `agent: false` opens a fresh connection (so the supervisor hands it to the next worker). */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: unknown; agent?: Agent | false } = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: { ...options.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * One node of 2 workers; `withRedis`: with Redis (the workers are members of the change channel and the
 * limits are Redis'), under a key prefix of its own that is deleted after.
 */
function workersSuite(withRedis: boolean) {
  const redis = withRedis && redisUrl ? { url: redisUrl, prefix: `portcullis-test:workers:${randomUUID()}:` } : undefined;
  describe(withRedis ? 'workers: 2 with Redis' : 'workers: 2 without Redis', { skip: withRedis ? redisSkip : false }, () => {
    const tmp = tempDir();
    let upstream: Server;
    let child: ChildProcess;
    let stdout = '';
    let stderr = '';
    let gatewayUrl = '';
    let adminUrl = '';
    let adminKey = '';
    let consumerId = '';
    let configPath = '';
    let upstreamUrl = '';

    /** The access-log lines (`msg: request`) written since `from` (an offset in stdout). */
    function requestLines(from: number): Array<{ worker: number; status: number; api: string }> {
      return stdout
        .slice(from)
        .split('\n')
        .filter((line) => line.includes('"msg":"request"'))
        .map((line) => JSON.parse(line) as { worker: number; status: number; api: string });
    }
    /** The access-log lines of `count` requests, once all of them are written. */
    async function linesOf(from: number, count: number) {
      await waitFor(`${count} access-log lines`, () => requestLines(from).length >= count);
      return requestLines(from);
    }
    const admin = (method: string, path: string, body?: unknown) =>
      call(`${adminUrl}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` }, body }).then((answer) => ({
        status: answer.status,
        body: answer.body ? JSON.parse(answer.body) : undefined,
      }));
    async function newKey(): Promise<{ id: string; key: string }> {
      const created = await admin('POST', `/admin/v1/consumers/${consumerId}/keys`, {});
      assert.equal(created.status, 201, JSON.stringify(created.body));
      noteSecret(created.body.key);
      return { id: created.body.id, key: created.body.key };
    }

    before(async () => {
      upstream = createServer((_req, res) => res.end('ok'));
      upstream.listen(0, '127.0.0.1');
      await once(upstream, 'listening');
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      configPath = join(tmp.dir, 'portcullis.yaml');
      writeFileSync(
        configPath,
        [
          'workers: 2',
          `store: sqlite:${join(tmp.dir, 'data.db')}`,
          'listen: { host: 127.0.0.1, port: 0 }',
          'admin: { host: 127.0.0.1, port: 0, publicMetrics: true }',
          `oauth: { masterKey: ${generateMasterKey()} }`,
          // Only the change channel through the supervisor can explain a sibling seeing a revocation at once.
          'keys: { cache: { ttl: 1h } }',
          'shutdown: { gracePeriod: 5s }',
          ...(redis ? [`redis: ${redis.url}`, `redisKeyPrefix: "${redis.prefix}"`] : []),
          'apis:',
          `  - { name: open, basePath: /open, upstream: "${upstreamUrl}" }`,
          `  - { name: limited, basePath: /limited, upstream: "${upstreamUrl}", rateLimit: { limit: 10, window: 1m } }`,
        ].join('\n'),
      );
      child = spawn(process.execPath, [CLI, 'start', '--config', configPath], {
        cwd: tmp.dir,
        env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
      followLogs(child.stdout);
      await waitFor('the supervisor start', () => stdout.includes('"supervisor":true') && stdout.includes('"msg":"portcullis started"'), 90_000);
      // The banner (stderr) follows the start line (stdout).
      await waitFor('the banner', () => /PORTCULLIS_ADMIN_KEY=\S+\n/.test(stderr));
      const started = JSON.parse(stdout.split('\n').find((line) => line.includes('"supervisor":true') && line.includes('portcullis started'))!);
      ({ gatewayUrl, adminUrl } = started);
      assert.equal(started.workers, 2);
      adminKey = /PORTCULLIS_ADMIN_KEY=(\S+)/.exec(stderr)![1]!;
      noteSecret(adminKey);
      const consumer = await admin('POST', '/admin/v1/consumers', { name: 'acme' });
      consumerId = consumer.body.id;
    });

    after(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await once(child, 'exit');
        clearTimeout(killer);
      }
      upstream.close();
      tmp.remove();
      if (redis) {
        const client = new Redis(redis.url);
        await deleteKeysUnder(client, redis.prefix);
        await client.quit();
      }
    });

    test('one first admin key and one banner for the node', () => {
      assert.equal(stderr.match(/PORTCULLIS_ADMIN_KEY=/g)?.length, 1, stderr);
      assert.equal(stderr.match(/Portcullis is running/g)?.length, 1);
    });

    test('a key revoked through one worker is refused at once by every worker', async () => {
      const { id, key } = await newKey();
      const headers = { authorization: `Bearer ${key}` };
      // Both workers verify (and cache, for an hour) the key.
      const warm = stdout.length;
      for (let i = 0; i < 10; i++) assert.equal((await call(`${gatewayUrl}/open/`, { headers })).status, 200);
      assert.deepEqual(new Set((await linesOf(warm, 10)).map((line) => line.worker)), new Set([1, 2]), 'both workers cached the key');

      assert.equal((await admin('POST', `/admin/v1/keys/${id}/revoke`, {})).status, 200);
      const from = stdout.length;
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(`${gatewayUrl}/open/`, { headers })).status);
      assert.deepEqual(statuses, Array(20).fill(401));
      assert.deepEqual(new Set((await linesOf(from, 20)).map((line) => line.worker)), new Set([1, 2]), 'both workers answered');
    });

    test('a 10/min limit on 2 workers admits 10 of 20 requests, not 20', async () => {
      const { key } = await newKey();
      const from = stdout.length;
      const statuses = await Promise.all(Array.from({ length: 20 }, () => call(`${gatewayUrl}/limited/`, { headers: { authorization: `Bearer ${key}` } })));
      assert.equal(statuses.filter((s) => s.status === 200).length, 10);
      assert.equal(statuses.filter((s) => s.status === 429).length, 10);
      assert.deepEqual(new Set((await linesOf(from, 20)).map((line) => line.worker)), new Set([1, 2]), 'both workers answered');
    });

    test('/metrics counts the requests of every worker', async () => {
      const { key } = await newKey();
      const total = async () => {
        const text = (await call(`${adminUrl}/metrics`)).body;
        return text
          .split('\n')
          .filter((line) => line.startsWith('portcullis_gateway_requests_total{') && line.includes('api="open"'))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      };
      const before = await total();
      const from = stdout.length;
      for (let i = 0; i < 12; i++) await call(`${gatewayUrl}/open/`, { headers: { authorization: `Bearer ${key}` } });
      assert.deepEqual(new Set((await linesOf(from, 12)).map((line) => line.worker)), new Set([1, 2]), 'both workers answered');
      assert.equal((await total()) - before, 12);
      const text = (await call(`${adminUrl}/metrics`)).body;
      assert.match(text, /^portcullis_workers 2$/m);
      assert.match(text, /^portcullis_worker_restarts_total 0$/m);
    });

    // What the supervisor does alone (restarts, reloads): once, on the variant without Redis.
    if (!redis) {
      test('rolling restart (SIGUSR2) under keep-alive and new-connection load: no failed request, new workers', async () => {
        const { key } = await newKey();
        const headers = { authorization: `Bearer ${key}` };
        const pidsBefore = JSON.parse(stdout.split('\n').find((line) => line.includes('"supervisor":true') && line.includes('portcullis started'))!).pids;
        const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
        let running = true;
        const outcomes = { ok: 0, failed: [] as string[] };
        async function loop(agent: Agent | false): Promise<void> {
          while (running) {
            try {
              const answer = await call(`${gatewayUrl}/open/`, { headers, agent });
              if (answer.status === 200) outcomes.ok++;
              else outcomes.failed.push(`status ${answer.status}`);
            } catch (error) {
              outcomes.failed.push(`${agent ? 'keep-alive' : 'new connection'}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
            }
          }
        }
        const from = stdout.length;
        const load = [loop(keepAlive), loop(keepAlive), loop(keepAlive), loop(false), loop(false)];
        await new Promise((r) => setTimeout(r, 300));
        child.kill('SIGUSR2');
        await waitFor('the rolling restart', () => stdout.slice(from).includes('"msg":"rolling restart done"'), 60_000);
        await new Promise((r) => setTimeout(r, 300));
        running = false;
        await Promise.all(load);
        keepAlive.destroy();
        assert.deepEqual(outcomes.failed, [], `${outcomes.ok} answered`);
        assert.ok(outcomes.ok > 50, `steady load: ${outcomes.ok} answered`);
        const workerLines = stdout
          .slice(from)
          .split('\n')
          .filter((line) => line.includes('"msg":"portcullis started"') && !line.includes('"supervisor"'));
        assert.equal(workerLines.length, 2, 'two new workers');
        const answeredBy = new Set(requestLines(from).map((line) => line.worker));
        assert.ok(
          [1, 2, 3, 4].every((worker) => answeredBy.has(worker)),
          `old and new workers answered: ${[...answeredBy]}`,
        );
        assert.equal(pidsBefore.length, 2);
      });

      test('POST /admin/v1/restart needs an admin key; `portcullis restart --rolling --url` replaces the workers (202, audited)', async () => {
        assert.equal((await call(`${adminUrl}/admin/v1/restart`, { method: 'POST' })).status, 401);
        assert.equal((await call(`${adminUrl}/admin/v1/restart`, { method: 'POST', headers: { authorization: 'Bearer pcl_wrong' } })).status, 401);
        const from = stdout.length;
        const result = await cli(tmp.dir, ['restart', '--rolling', '--url', adminUrl, '--admin-key', adminKey, '--json']);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(JSON.parse(result.stdout).status, 'restarting');
        await waitFor('the rolling restart', () => stdout.slice(from).includes('"msg":"rolling restart done"'), 60_000);
        const events = await admin('GET', '/admin/v1/audit-events?action=node.restart_requested');
        assert.equal(events.body.items.length, 1, JSON.stringify(events.body));
        assert.equal(events.body.items[0].targetType, 'node');
        const withoutUrl = await cli(tmp.dir, ['restart', '--rolling']);
        assert.notEqual(withoutUrl.code, 0);
        assert.match(withoutUrl.stderr, /--url/);
      });

      test('a worker that dies is forked again (log line, metric) while the other keeps serving', async () => {
        const started = stdout
          .split('\n')
          .filter((line) => line.includes('"msg":"portcullis started"') && !line.includes('"supervisor"'))
          .map((line) => JSON.parse(line) as { worker: number; pid: number });
        const victim = started.at(-1)!;
        const from = stdout.length;
        process.kill(victim.pid, 'SIGKILL');
        await waitFor('the restart log line', () => stdout.slice(from).includes('"msg":"worker exited unexpectedly; forking another"'));
        const line = JSON.parse(
          stdout
            .slice(from)
            .split('\n')
            .find((l) => l.includes('worker exited unexpectedly'))!,
        );
        assert.equal(line.pid, victim.pid);
        assert.equal(line.signal, 'SIGKILL');
        assert.equal(line.restartInMs, 100);
        // Meanwhile the listener stays up: the other worker answers.
        assert.equal((await call(`${gatewayUrl}/open/`)).status, 401);
        await waitFor('the new worker', () => stdout.slice(from).includes('"msg":"portcullis started"'));
        const text = (await call(`${adminUrl}/metrics`)).body;
        assert.match(text, /^portcullis_worker_restarts_total 1$/m);
        assert.match(text, /^portcullis_workers 2$/m);
      });

      /** The `config reloaded` log lines written since `from`, once there are `count`; each worker writes its own. */
      async function reloadedBy(from: number, count: number): Promise<Set<number>> {
        const lines = () =>
          stdout
            .slice(from)
            .split('\n')
            .filter((line) => line.includes('"msg":"config reloaded"'))
            .map((line) => (JSON.parse(line) as { worker: number }).worker);
        await waitFor(`${count} workers reloaded`, () => lines().length >= count);
        return new Set(lines());
      }
      /** Adds an API to the config file, as an operator edits it. */
      function addApi(name: string): void {
        writeFileSync(configPath, `${readFileSync(configPath, 'utf8')}\n  - { name: ${name}, basePath: /${name}, upstream: "${upstreamUrl}" }`);
      }
      /** Fresh connections (both workers): every one finds the API (401 without a credential, not 404). */
      async function servedByBoth(name: string): Promise<void> {
        const from = stdout.length;
        const statuses = [];
        for (let i = 0; i < 10; i++) statuses.push((await call(`${gatewayUrl}/${name}/`)).status);
        assert.deepEqual(statuses, Array(10).fill(401));
        // The workers of now: the rolling restart and the killed worker above gave them new ids.
        assert.equal(new Set((await linesOf(from, 10)).map((line) => line.worker)).size, 2, 'both workers answered');
      }
      const reloadEvents = async () => (await admin('GET', '/admin/v1/audit-events?action=config.reloaded')).body.items as Array<{ actor: string }>;

      test('POST /admin/v1/reload on one worker: every worker serves the new file, one audit event', async () => {
        addApi('added');
        const from = stdout.length;
        const answer = await admin('POST', '/admin/v1/reload', {});
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(answer.body.apis.added, ['added']);
        assert.equal((await reloadedBy(from, 2)).size, 2);
        await servedByBoth('added');
        const events = await reloadEvents();
        assert.equal(events.length, 1, 'the worker that answered records it; its sibling does not');
        assert.match(events[0]!.actor, /^key_/, 'recorded as the admin key that asked');
      });

      test('SIGHUP to the supervisor reloads every worker, recorded once', async () => {
        addApi('hup');
        const from = stdout.length;
        child.kill('SIGHUP');
        assert.equal((await reloadedBy(from, 2)).size, 2);
        await servedByBoth('hup');
        const events = await reloadEvents();
        assert.equal(events.length, 2);
        assert.equal(events[0]!.actor, 'signal:SIGHUP');
        assert.equal(child.exitCode, null, 'the supervisor runs on');
      });
    }

    test('SIGTERM drains every worker and the supervisor exits 0', async () => {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    });
  });
}

workersSuite(false);
// With Redis (CI sets PORTCULLIS_TEST_REDIS_URL): the same node, sharing through Redis instead of the supervisor.
workersSuite(true);

test('POST /admin/v1/restart on a node of one process (no supervisor): 409 RESTART_UNAVAILABLE', async () => {
  const t = await createTestApp();
  try {
    const answer = await t.call('POST', '/admin/v1/restart');
    assert.equal(answer.status, 409);
    assert.equal(answer.body.code, 'RESTART_UNAVAILABLE');
  } finally {
    await t.close();
  }
});
