// The token endpoint's failed-authentication throttle cannot be turned against a client: failures count
// per client and source address, so wrong secrets from one address do not lock the real client out
// elsewhere; a much higher per-client ceiling still stops distributed guessing. The source address is
// taken the same way on the Fastify route and on the raw node:http path, and X-Forwarded-For is
// believed only with gateway.trustProxy (its last entry: the one our proxy added).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { addressBlockOf } from '../../src/lib/address-block.js';
import { createManualClock } from '../../src/lib/clock.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { registerOAuthRoutes } from '../../src/oauth/routes.js';
import { sourceAddressOf } from '../../src/oauth/source-address.js';
import { testLogger } from '../helpers/logs.js';
import { basic, form } from '../oauth/helpers.js';

const actor = { id: 'test', sourceIp: null };
const FORM = 'application/x-www-form-urlencoded';
const WRONG = 'pcs_wrongwrongwrongwrongwrongwrongwrong';

interface World {
  app: App;
  gateway: RunningGateway;
  clock: ReturnType<typeof createManualClock>;
  client: { id: string; secret: string };
  /** Through Fastify (inject), from `address`, with extra headers. */
  viaFastify(secret: string, address: string, headers?: Record<string, string>): Promise<number>;
  /** Over a real socket from 127.0.0.1 to the raw node:http path. */
  viaRaw(secret: string, headers?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

async function world(trustProxy: boolean): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-throttle-'));
  const clock = createManualClock(Date.UTC(2026, 3, 1, 9));
  const config = validateConfig(
    {
      store: `sqlite:${join(dir, 'p.db')}`,
      issuer: 'https://auth.portcullis.test',
      log: { level: 'silent' },
      oauth: { masterKey: generateMasterKey() },
      gateway: { trustProxy },
    },
    'test',
  );
  const app = await createApp({ config, clock, logger: testLogger() });
  const consumer = await app.consumers.create({ name: 'victim', scopes: ['read'] }, actor);
  const created = await app.oauth.clients.create(consumer.id, {}, actor);
  const client = { id: created.client.id, secret: created.secret!.secret };
  const gateway = await startGateway({
    app,
    baseDir: dir,
    host: '127.0.0.1',
    port: 0,
    register: (server) => registerOAuthRoutes(server, { oauth: app.oauth }),
  });
  return {
    app,
    gateway,
    clock,
    client,
    async viaFastify(secret, address, headers = {}) {
      const response = await gateway.fastify.inject({
        method: 'POST',
        url: '/oauth/token',
        remoteAddress: address,
        headers: { 'content-type': FORM, authorization: basic(client.id, secret), ...headers },
        payload: form({ grant_type: 'client_credentials' }),
      });
      return response.statusCode;
    },
    async viaRaw(secret, headers = {}) {
      const response = await fetch(`${gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': FORM, authorization: basic(client.id, secret), ...headers },
        body: form({ grant_type: 'client_credentials' }),
      });
      await response.arrayBuffer();
      return response.status;
    },
    async close() {
      await gateway.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function repeat(times: number, send: () => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push(await send());
  return statuses;
}

describe('token endpoint throttle, without trustProxy', () => {
  let w: World;
  before(async () => {
    w = await world(false);
  });
  after(async () => w?.close());

  test('wrong secrets from address A throttle A, not the right secret from address B', async () => {
    const fromA = await repeat(10, () => w.viaFastify(WRONG, '198.51.100.7'));
    assert.deepEqual(new Set(fromA), new Set([401]));
    assert.equal(await w.viaFastify(WRONG, '198.51.100.7'), 429);
    assert.equal(await w.viaFastify(w.client.secret, '203.0.113.9'), 200, 'the real client elsewhere gets its token');
    assert.equal(await w.viaFastify(w.client.secret, '198.51.100.7'), 429, 'A is still throttled, right secret or not');
    // The raw path (a real socket from 127.0.0.1) is another address: not throttled by A's failures.
    assert.equal(await w.viaRaw(w.client.secret), 200);
  });

  test('the per-client ceiling still trips under distributed guessing (many addresses, few failures each)', async () => {
    w.clock.advance(121_000); // out of the previous test's windows
    let refusedAt = -1;
    for (let i = 0; i < 60 && refusedAt === -1; i++) {
      for (let j = 0; j < 5; j++) {
        const status = await w.viaFastify(WRONG, `192.0.2.${i}`);
        if (status === 429) {
          refusedAt = i * 5 + j;
          break;
        }
        assert.equal(status, 401);
      }
    }
    assert.equal(refusedAt, 200, 'the 201st failure of the client is refused (oauth.failedAuth.perClient, default 200)');
    assert.equal(await w.viaFastify(w.client.secret, '203.0.113.50'), 429, 'while the ceiling holds, every address waits');
    w.clock.advance(121_000);
    assert.equal(await w.viaFastify(w.client.secret, '203.0.113.50'), 200, 'and it recovers');
  });

  test('X-Forwarded-For is ignored: a client cannot pick its own address on either path', async () => {
    w.clock.advance(121_000);
    let n = 0;
    const raw = await repeat(10, () => w.viaRaw(WRONG, { 'x-forwarded-for': `10.0.0.${++n}` }));
    assert.deepEqual(new Set(raw), new Set([401]));
    assert.equal(await w.viaRaw(w.client.secret, { 'x-forwarded-for': '10.9.9.9' }), 429, 'the raw path counts the socket address');
    assert.equal(await w.viaFastify(w.client.secret, '127.0.0.1', { 'x-forwarded-for': '10.9.9.9' }), 429, 'so does the Fastify route');
  });
});

describe('token endpoint throttle, with gateway.trustProxy', () => {
  let w: World;
  before(async () => {
    w = await world(true);
  });
  after(async () => w?.close());

  test('the address our proxy appended (the last X-Forwarded-For entry) is the source, on both paths', async () => {
    const fromA = await repeat(10, () => w.viaRaw(WRONG, { 'x-forwarded-for': '198.51.100.7' }));
    assert.deepEqual(new Set(fromA), new Set([401]));
    assert.equal(await w.viaRaw(w.client.secret, { 'x-forwarded-for': '198.51.100.7' }), 429);
    assert.equal(await w.viaFastify(w.client.secret, '127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }), 429, 'the Fastify route agrees');
    // A client prepending an address of its own choice does not change what the proxy appended.
    assert.equal(await w.viaRaw(w.client.secret, { 'x-forwarded-for': '203.0.113.1, 198.51.100.7' }), 429);
    assert.equal(await w.viaRaw(w.client.secret, { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }), 200, 'the real client behind the proxy');
    assert.equal(await w.viaFastify(w.client.secret, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), 200);
  });
});

test('source addresses: proxy header only when trusted, IPv4-mapped IPv6 as IPv4, IPv6 by /64', () => {
  const req = (remoteAddress: string | undefined, xff?: string | string[]) =>
    ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;
  assert.equal(sourceAddressOf(req('10.0.0.1', '1.2.3.4'), false), '10.0.0.1');
  assert.equal(sourceAddressOf(req('10.0.0.1', '1.2.3.4'), true), '1.2.3.4');
  assert.equal(sourceAddressOf(req('10.0.0.1', '9.9.9.9, 1.2.3.4 '), true), '1.2.3.4');
  assert.equal(sourceAddressOf(req('10.0.0.1', ['9.9.9.9', '5.6.7.8']), true), '5.6.7.8', 'the last header line');
  assert.equal(sourceAddressOf(req('10.0.0.1', ' , '), true), '10.0.0.1', 'an empty entry: the socket');
  assert.equal(sourceAddressOf(req(undefined), false), '');
  assert.equal(addressBlockOf('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(addressBlockOf('192.0.2.1'), '192.0.2.1');
  assert.equal(addressBlockOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(addressBlockOf('2001:DB8:1:2::9'), '2001:db8:1:2::/64');
  assert.equal(addressBlockOf('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressBlockOf('::1'), '0:0:0:0::/64');
  assert.equal(addressBlockOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressBlockOf('not an address'), 'not an address');
});
