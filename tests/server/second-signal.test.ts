// `portcullis start` as a user runs it (a spawned process), stopped while a request waits on a slow
// upstream: the first SIGTERM drains and exits 0 once that request is answered; a second signal during
// the drain exits 130 at once. The grace period is a minute, so an exit well before it is the signal's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { CLI } from '../helpers/cli.js';
import { followLogs, noteSecret } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

/** A guard against a hang, far below the one-minute grace period. */
const PROMPTLY_MS = 15_000;

async function waitFor(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts `portcullis start` on a config whose API's upstream holds every request until released. */
async function startHeldServer() {
  const held: ServerResponse[] = [];
  const upstream = createServer((_req, res) => held.push(res));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const dir = tempDir();
  const config = join(dir.dir, 'portcullis.yaml');
  writeFileSync(
    config,
    [
      `store: sqlite:${join(dir.dir, 'p.db')}`,
      'listen: { host: 127.0.0.1, port: 0 }',
      'admin: { port: 0 }',
      'log: { level: info }',
      `oauth: { masterKey: ${generateMasterKey()} }`,
      // A config file makes `start` a supervisor; the signals go to it, as a service manager sends them.
      'workers: 1',
      'shutdown: { gracePeriod: 60s }',
      `apis: [{ name: slow, basePath: /slow, upstream: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}" }]`,
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [CLI, 'start', '--config', config], { cwd: dir.dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  followLogs(child.stdout);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the start log line', () => stdout.includes('"portcullis started"') && stderr.includes('PORTCULLIS_ADMIN_KEY='));
  const started = JSON.parse(stdout.split('\n').find((line) => line.includes('"portcullis started"'))!);
  const adminKey = /PORTCULLIS_ADMIN_KEY=(\S+)/.exec(stderr)![1]!;
  noteSecret(adminKey);
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${started.adminUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as any;
  };
  const consumer = await admin('/admin/v1/consumers', { name: 'acme' });
  const { key } = await admin(`/admin/v1/consumers/${consumer.id}/keys`, {});
  noteSecret(key);

  /** A request through the gateway that the upstream holds; resolves with its status once answered. */
  function slowRequest(): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(`${started.gatewayUrl}/slow/x`, { headers: { authorization: `Bearer ${key}` }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });
  }

  return {
    child,
    exited,
    held,
    slowRequest,
    output: () => stdout,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
      dir.remove();
    },
  };
}

test('`portcullis start` exits 130 at once on a second signal while the drain waits on a request', async () => {
  const server = await startHeldServer();
  try {
    const answered = server.slowRequest().catch(() => 'cut');
    await waitFor('the upstream to hold the request', () => server.held.length === 1);
    server.child.kill('SIGTERM');
    await waitFor('the drain to start', () => server.output().includes('shutting down: draining connections'));
    assert.equal(server.child.exitCode, null, 'the first signal waits for the request in flight');
    const second = Date.now();
    server.child.kill('SIGINT');
    await waitFor('the exit', () => server.child.exitCode !== null, PROMPTLY_MS);
    assert.equal(await server.exited, 130, server.output());
    assert.ok(Date.now() - second < PROMPTLY_MS);
    assert.match(server.output(), /second signal: ending every worker without waiting/);
    // The held request was never answered by the upstream: the client saw its connection cut.
    assert.equal(await answered, 'cut');
  } finally {
    await server.close();
  }
});

test('`portcullis start` exits 0 on one signal once the request in flight is answered', async () => {
  const server = await startHeldServer();
  try {
    const answered = server.slowRequest();
    await waitFor('the upstream to hold the request', () => server.held.length === 1);
    server.child.kill('SIGTERM');
    await waitFor('the drain to start', () => server.output().includes('shutting down: draining connections'));
    assert.equal(server.child.exitCode, null, 'the signal waits for the request in flight');
    server.held[0]!.end('done');
    assert.equal(await answered, 200);
    await waitFor('the exit', () => server.child.exitCode !== null, PROMPTLY_MS);
    assert.equal(await server.exited, 0, server.output());
  } finally {
    await server.close();
  }
});
