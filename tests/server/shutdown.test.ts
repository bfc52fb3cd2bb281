// Graceful shutdown (`running.close()`, what SIGTERM and SIGINT call): idle keep-alive connections do
// not hold the close, a busy one gets `Connection: close`, an in-flight request finishes, one that
// never ends is cut at `shutdown.gracePeriod`, /readyz says 503 from the start, and every answered
// request is in usage afterwards. One spawned `portcullis start` proves the process exits 0 on
// SIGTERM while clients hold connections.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, createServer, type IncomingHttpHeaders, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { startPortcullis } from '../../src/server/start.js';
import { openStore } from '../../src/store/open.js';
import { followLogs, testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
}

function get(url: string, agent: Agent, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `condition` every 10 ms, failing after `ms`. */
async function waitFor(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * An upstream whose /slow and /hang requests wait: /slow until released, /hang for ever; the next
 * /step waits too once `holdNextStep` is set.
 */
async function startUpstream() {
  const held = new Map<string, ServerResponse>();
  const state = { holdNextStep: false };
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.split('/').at(-1)!;
    if (name === 'slow' || name === 'hang' || (name === 'step' && state.holdNextStep)) {
      if (name === 'step') state.holdNextStep = false;
      held.set(name, res);
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    state,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('shutdown', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  async function start(name: string, upstream: string, gracePeriod: string) {
    const store = `sqlite:${join(tmp.dir, `${name}.db`)}`;
    const config = validateConfig(
      {
        store,
        admin: { port: 0, host: '127.0.0.1' },
        listen: { port: 0, host: '127.0.0.1' },
        log: { level: 'info' },
        oauth: { masterKey: 'a'.repeat(43) },
        apis: [{ name: 'up', basePath: '/up', upstream }],
        shutdown: { gracePeriod },
      },
      'test',
    );
    const logger = testLogger('info');
    const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger, print: () => {} });
    const authorization = `Bearer ${running.firstAdminKey}`;
    const consumer = (await running.admin.inject({ method: 'POST', url: '/admin/v1/consumers', headers: { authorization }, payload: { name: name } })).json();
    const key = (
      await running.admin.inject({ method: 'POST', url: `/admin/v1/consumers/${consumer.id}/keys`, headers: { authorization }, payload: {} })
    ).json();
    return { running, store, logs: logger.captured, headers: { 'x-api-key': key.key as string } };
  }

  /** Requests answered with 2xx for API `up`, as the store has them. */
  async function storedAnswers(url: string): Promise<number> {
    const store = openStore(url);
    try {
      const points = await store.queryUsage({ api: 'up', from: 0, to: Date.now() + 3_600_000, granularityMs: 60_000 });
      return points.filter((p) => p.statusClass === '2xx').reduce((sum, p) => sum + p.count, 0);
    } finally {
      await store.close();
    }
  }

  describe('graceful shutdown', () => {
    test('an idle keep-alive connection does not hold the close', async () => {
      const upstream = await startUpstream();
      const { running, headers, logs } = await start('idle', upstream.url, '20s');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const answer = await get(`${running.gatewayUrl}/up/x`, agent, headers);
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.connection, 'keep-alive', 'the connection stays open before the close');
        const [socket] = Object.values(agent.freeSockets).flat();
        assert.ok(socket, 'an idle kept-alive socket');
        const socketClosed = new Promise((resolve) => socket.once('close', resolve));
        const started = Date.now();
        await running.close();
        await socketClosed;
        assert.ok(Date.now() - started < 20_000, 'ended before the grace period');
        assert.ok(!logs.join('').includes('grace period over'), 'nothing was force-closed');
      } finally {
        agent.destroy();
        await running.close();
        await upstream.close();
      }
    });

    test('a busy client gets Connection: close, in-flight requests finish, a hung one is cut at the grace period, usage has every answer', async () => {
      const upstream = await startUpstream();
      const { running, store, headers, logs } = await start('busy', upstream.url, '2s');
      const busyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      const slowAgent = new Agent({ keepAlive: true, maxSockets: 2 });
      const gateway = running.gatewayUrl;
      try {
        // A client sending requests one after another on one connection until told to close it. (One
        // that sends its next request at the very moment of the signal, while its connection is idle,
        // may see that connection reset, as with any keep-alive timeout: the signal comes while one
        // of its requests is in flight here, held upstream.)
        const answers: Answer[] = [];
        let busyError: unknown;
        const busy = (async () => {
          for (;;) {
            const answer = await get(`${gateway}/up/step`, busyAgent, headers);
            answers.push(answer);
            if (answer.headers.connection === 'close') return;
            if (answers.length > 10_000) throw new Error('never told to close');
          }
        })().catch((error: unknown) => {
          busyError = error;
        });
        const slow = get(`${gateway}/up/slow`, slowAgent, headers);
        const hung = get(`${gateway}/up/hang`, slowAgent, headers).then(
          () => 'answered',
          () => 'cut',
        );
        await waitFor('the held requests upstream', () => upstream.held.size === 2);
        await waitFor('a few busy answers', () => answers.length >= 3);
        upstream.state.holdNextStep = true;
        await waitFor('a busy request in flight', () => upstream.held.has('step'));

        const started = Date.now();
        const closing = running.close();
        const ready = await running.admin.inject({ url: '/readyz' });
        assert.equal(ready.statusCode, 503, 'readyz drains the node from the signal on');
        assert.equal(ready.json().status, 'draining');
        await assert.rejects(get(`${gateway}/up/fast`, new Agent(), headers), /ECONNREFUSED/, 'no new connection is accepted');
        upstream.held.get('step')!.end('ok');

        await busy;
        assert.equal(busyError, undefined);
        const last = answers.at(-1)!;
        assert.equal(last.status, 200);
        assert.equal(last.headers.connection, 'close', 'the busy client is told to close');
        assert.ok(answers.every((a) => a.status === 200));

        upstream.held.get('slow')!.end('late');
        const slowAnswer = await slow;
        assert.equal(slowAnswer.status, 200, 'the in-flight request completes');
        assert.equal(slowAnswer.headers.connection, 'close');

        await closing;
        assert.ok(Date.now() - started < 2_000 + 1_500, 'ended by the grace period (plus the final flush)');
        assert.equal(await hung, 'cut', 'the request that never ends is cut at the grace period');
        assert.ok(logs.join('').includes('grace period over'));

        assert.equal(await storedAnswers(store), answers.length + 1, 'every answered request is in usage');
      } finally {
        busyAgent.destroy();
        slowAgent.destroy();
        await running.close();
        await upstream.close();
      }
    });
  });

  test('`portcullis start` exits 0 on SIGTERM while a request never ends and a keep-alive connection idles', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [resolve('dist/src/cli/launch.cjs'), 'start'], {
      cwd: dir.dir,
      env: {
        ...process.env,
        PORTCULLIS_LISTEN_HOST: '127.0.0.1',
        PORTCULLIS_LISTEN_PORT: '0',
        PORTCULLIS_ADMIN_PORT: '0',
        PORTCULLIS_LOG_LEVEL: 'info',
        PORTCULLIS_SHUTDOWN_GRACE_PERIOD: '1s',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    followLogs(child.stdout);
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    const agent = new Agent({ keepAlive: true });
    try {
      await waitFor('the start log line', () => stdout.includes('"portcullis started"'), 30_000);
      const started = JSON.parse(stdout.split('\n').find((line) => line.includes('"portcullis started"'))!);
      assert.equal((await get(`${started.adminUrl}/healthz`, agent, {})).headers.connection, 'keep-alive');
      // A token request whose body never comes: in flight until the grace period cuts it.
      const hung = connect(Number(new URL(started.gatewayUrl).port), '127.0.0.1');
      await new Promise((resolveConnect) => hung.once('connect', resolveConnect));
      hung.on('error', () => {});
      hung.write('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant');
      const cut = new Promise((resolveCut) => hung.once('close', resolveCut));

      child.kill('SIGTERM');
      // A guard against a hang, not a timing: the grace period is 1 s.
      await waitFor('the exit', () => child.exitCode !== null, 20_000);
      assert.equal(await exited, 0, stdout);
      await cut;
      assert.match(stdout, /grace period over/);
    } finally {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
      dir.remove();
    }
  });
});
