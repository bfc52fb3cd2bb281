// Availability of the public listener under a connection flood: idle and slow (slowloris) connections
// are bounded in number, overall and per client address, and in time, by the header timeout; while
// the listener is full, clients already connected, other clients and the admin listener's /healthz are
// still served. Real listeners on loopback; the "attacker" connects from 127.0.0.2 (Linux routes all of
// 127/8 to the loopback interface), the well-behaved clients from 127.0.0.1.
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { connectionLimitsOf } from '../../src/gateway/connections.js';
import { addressBlockOf } from '../../src/lib/address-block.js';
import { createLogger } from '../../src/logger.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { eventually } from '../cluster/helpers.js';
import { tempDir } from '../helpers/stores.js';

const ATTACKER = '127.0.0.2';
const actor = { id: 'test', sourceIp: null };

interface Held {
  socket: Socket;
  closed: boolean;
  received: string;
  closedAt?: number;
}

/** Opens a connection from `localAddress` and keeps what it receives; `send` is written once connected. */
function hold(port: number, localAddress: string, send = ''): Promise<Held> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const held: Held = { socket, closed: false, received: '' };
    socket.on('data', (chunk) => (held.received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      held.closed = true;
      held.closedAt = performance.now();
    });
    // A connection the server closes at once may never report 'connect'.
    socket.once('connect', () => {
      if (send) socket.write(send);
      resolve(held);
    });
    socket.once('close', () => resolve(held));
  });
}

/** A GET on a keep-alive agent: the status, and whether it went over a connection opened earlier. */
function get(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request on a new connection from `localAddress`: the answer's status line, or null when the connection is closed unanswered. */
async function freshRequest(port: number, localAddress: string, key: string): Promise<{ statusLine: string | null; ms: number }> {
  const started = performance.now();
  const held = await hold(port, localAddress, `GET /orders/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\nConnection: close\r\n\r\n`);
  await eventually('the connection ends', () => held.closed);
  return { statusLine: held.received ? held.received.split('\r\n')[0]! : null, ms: performance.now() - started };
}

async function closeAll(held: readonly Held[]): Promise<void> {
  for (const h of held) h.socket.destroy();
  await eventually('every test socket closed', () => held.every((h) => h.closed));
}

describe('public listener connection limits', () => {
  let upstream: Server;
  let upstreamUrl = '';
  let attackerSkip: string | false = false;

  before(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    // The attacker's address must be bindable (Linux: any 127/8 address is).
    const probe = await new Promise<Error | null>((resolve) => {
      const socket = connect({ port: (upstream.address() as AddressInfo).port, host: '127.0.0.1', localAddress: ATTACKER });
      socket.once('connect', () => {
        socket.destroy();
        resolve(null);
      });
      socket.once('error', resolve);
    });
    if (probe) attackerSkip = `cannot connect from ${ATTACKER} here (${probe.message})`;
  });

  after(async () => {
    await new Promise((resolve) => upstream.close(resolve));
  });

  async function start(
    listen: Record<string, unknown>,
  ): Promise<{ running: RunningPortcullis; key: string; port: number; agent: Agent; close(): Promise<void> }> {
    const tmp = tempDir();
    const config = validateConfig(
      {
        store: `sqlite:${tmp.dir}/portcullis.db`,
        listen: { host: '127.0.0.1', port: 0, ...listen },
        admin: { host: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstreamUrl, auth: ['api-key'] }],
      },
      'test',
    );
    const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: createLogger('silent'), print: () => {} });
    const consumer = await running.app.consumers.create({ name: 'shop' }, actor);
    const key = (await running.app.keys.create(consumer.id, {}, actor)).key;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    return {
      running,
      key,
      port: Number(new URL(running.gatewayUrl).port),
      agent,
      async close() {
        agent.destroy();
        await running.close();
        tmp.remove();
      },
    };
  }

  test('config: defaults, per-address limit off behind a trusted proxy, bad timeouts named', () => {
    const defaults = connectionLimitsOf(validateConfig({}, 'test'));
    assert.deepEqual(defaults, {
      maxConnections: 4096,
      maxConnectionsPerIp: 256,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 72_000,
    });
    assert.equal(connectionLimitsOf(validateConfig({ gateway: { trustProxy: true } }, 'test')).maxConnectionsPerIp, 0);
    assert.equal(connectionLimitsOf(validateConfig({ gateway: { trustProxy: true }, listen: { maxConnectionsPerIp: 40 } }, 'test')).maxConnectionsPerIp, 40);
    assert.throws(() => connectionLimitsOf(validateConfig({ listen: { headersTimeout: '0s' } }, 'test')), /listen\.headersTimeout/);
    assert.throws(() => connectionLimitsOf(validateConfig({ listen: { headersTimeout: '20s', requestTimeout: '10s' } }, 'test')), /listen\.requestTimeout/);
    assert.throws(() => validateConfig({ listen: { maxConnections: 0 } }, 'test'), /listen\.maxConnections/);
  });

  test('connections are counted per IPv4 address and per IPv6 /64', () => {
    assert.equal(addressBlockOf('203.0.113.7'), '203.0.113.7');
    assert.equal(addressBlockOf('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressBlockOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressBlockOf('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressBlockOf('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressBlockOf('::1'), '0:0:0:0::/64');
  });

  test('200 idle connections from one address: those past its limit are closed at once; everyone else is served', async (t) => {
    if (attackerSkip) return t.skip(attackerSkip);
    const node = await start({ maxConnectionsPerIp: 50 });
    const flood: Held[] = [];
    try {
      // A keep-alive client connected before the flood.
      assert.deepEqual(await get(node.agent, `${node.running.gatewayUrl}/orders/1`, { 'x-api-key': node.key }), { status: 200, reused: false });

      // Half send nothing, half the start of a request head.
      for (let i = 0; i < 200; i += 1) flood.push(await hold(node.port, ATTACKER, i % 2 ? 'GET /orders/1 HTTP/1.1\r\nHost: x\r\n' : ''));
      await eventually('150 of them closed', () => flood.filter((h) => h.closed).length === 150);
      assert.ok(
        flood.every((h) => h.received === ''),
        'closed without an answer',
      );

      const fromAttacker = await freshRequest(node.port, ATTACKER, node.key);
      assert.equal(fromAttacker.statusLine, null, 'one more from that address is closed unanswered');
      assert.ok(fromAttacker.ms < 2_000, `and at once (${fromAttacker.ms.toFixed(0)} ms)`);
      assert.equal((await freshRequest(node.port, '127.0.0.1', node.key)).statusLine, 'HTTP/1.1 200 OK', 'another client is served');
      assert.deepEqual(
        await get(node.agent, `${node.running.gatewayUrl}/orders/1`, { 'x-api-key': node.key }),
        { status: 200, reused: true },
        'the established client too',
      );
      assert.equal((await fetch(`${node.running.adminUrl}/healthz`)).status, 200);
      assert.match(await node.running.app.metrics.render(), /^portcullis_gateway_connections_refused_total\{reason="per_ip"\} 151$/m);
      assert.equal(flood.filter((h) => !h.closed).length, 50, 'the 50 within the limit are still open (the header timeout is 10 s)');
    } finally {
      await closeAll(flood);
      await node.close();
    }
  });

  test('a full listener: new connections are closed at once; established clients and admin /healthz keep working', async () => {
    const node = await start({ maxConnections: 100, maxConnectionsPerIp: 0 });
    const flood: Held[] = [];
    try {
      assert.deepEqual(await get(node.agent, `${node.running.gatewayUrl}/orders/1`, { 'x-api-key': node.key }), { status: 200, reused: false });
      for (let i = 0; i < 200; i += 1) flood.push(await hold(node.port, '127.0.0.1', i % 2 ? 'GET /orders/1 HTTP/1.1\r\nHost: x\r\n' : ''));
      // 99 join the keep-alive client; the other 101 are closed.
      await eventually('101 of them closed', () => flood.filter((h) => h.closed).length === 101);

      const fresh = await freshRequest(node.port, '127.0.0.1', node.key);
      assert.equal(fresh.statusLine, null, 'a new connection is closed unanswered');
      assert.ok(fresh.ms < 2_000, `and at once (${fresh.ms.toFixed(0)} ms)`);
      for (let i = 0; i < 3; i += 1) {
        assert.deepEqual(
          await get(node.agent, `${node.running.gatewayUrl}/orders/1`, { 'x-api-key': node.key }),
          { status: 200, reused: true },
          'the established client is served',
        );
      }
      assert.equal((await fetch(`${node.running.adminUrl}/healthz`)).status, 200);
      assert.match(await node.running.app.metrics.render(), /^portcullis_gateway_connections_refused_total\{reason="max_connections"\} 102$/m);

      // Once the flood lets go, new clients are served again.
      await closeAll(flood);
      await eventually('the listener has room again', async () => (await freshRequest(node.port, '127.0.0.1', node.key)).statusLine === 'HTTP/1.1 200 OK');
    } finally {
      await closeAll(flood);
      await node.close();
    }
  });

  test('heads that never complete are closed after the header timeout, a slowloris head trickling in too', async () => {
    const node = await start({ headersTimeout: '500ms' });
    const held: Held[] = [];
    let slow: Held | undefined;
    let trickle: NodeJS.Timeout | undefined;
    try {
      const started = performance.now();
      for (let i = 0; i < 20; i += 1) held.push(await hold(node.port, '127.0.0.1', i % 2 ? 'GET /orders/1 HTTP/1.1\r\nHost: x\r\n' : ''));
      // One byte every 20 ms of a head that would take 10 s to complete: each byte must not restart the clock.
      slow = await hold(node.port, '127.0.0.1');
      const slowly = slow;
      const head = `GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-API-Key: ${node.key}\r\nX-Padding: ${'a'.repeat(440)}\r\n\r\n`;
      let sent = 0;
      trickle = setInterval(() => {
        if (!slowly.closed && sent < head.length) slowly.socket.write(head[sent++]!);
      }, 20);
      await eventually('every stalled connection closed', () => slowly.closed && held.every((h) => h.closed));
      clearInterval(trickle);
      assert.ok(sent < head.length / 2, `the slow head was cut off after ${sent} of ${head.length} bytes`);
      const slowest = Math.max(...[...held, slowly].map((h) => h.closedAt! - started));
      assert.ok(slowest < 3_000, `all closed ${slowest.toFixed(0)} ms after they began, for a 500 ms header timeout`);
      for (const h of [...held.filter((_, i) => i % 2), slowly]) assert.match(h.received, /^HTTP\/1\.1 408 /, 'a started head gets 408');
      // An established keep-alive connection between requests is not a stalled head.
      assert.deepEqual(await get(node.agent, `${node.running.gatewayUrl}/orders/1`, { 'x-api-key': node.key }), { status: 200, reused: false });
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.deepEqual(await get(node.agent, `${node.running.gatewayUrl}/orders/1`, { 'x-api-key': node.key }), { status: 200, reused: true });
    } finally {
      clearInterval(trickle);
      await closeAll(slow ? [...held, slow] : held);
      await node.close();
    }
  });
});
