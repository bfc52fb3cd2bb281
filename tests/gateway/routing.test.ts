// The public listener: the longest base path wins, routes registered by other modules (the OAuth
// endpoints) take precedence, everything else is a problem-JSON 404; /metrics on the admin listener.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { testLogger } from '../helpers/logs.js';
import { startUpstream, type Upstream } from './helpers.js';

describe('gateway: public listener routing', () => {
  const upstreams: Upstream[] = [];
  let running: RunningPortcullis;
  let dir: string;
  let key: string;

  before(async () => {
    for (let i = 0; i < 3; i++) {
      const name = ['root', 'api', 'v2'][i]!;
      upstreams.push(
        await startUpstream((_req, res) => {
          res.setHeader('x-upstream', name);
          res.end(name);
        }),
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'portcullis-routing-'));
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        // An API at `/` contains every path, the portal's too (a config error): no portal here.
        portal: { enabled: false },
        apis: [
          { name: 'root', basePath: '/', upstream: upstreams[0]!.url },
          { name: 'api', basePath: '/api', upstream: upstreams[1]!.url },
          { name: 'v2', basePath: '/api/v2/', upstream: upstreams[2]!.url },
        ],
      },
      'test',
    );
    running = await startPortcullis({
      loaded: { config, path: null, demo: false },
      logger: testLogger(),
      print: () => undefined,
      registerPublic(server) {
        server.post('/extra/token', async () => ({ access_token: 'from-a-registered-route' }));
        server.get('/extra-docs/:document', async (request) => ({ document: (request.params as { document: string }).document }));
      },
    });
    const consumer = await running.app.consumers.create({ name: 'c' }, { id: 't', sourceIp: null });
    key = (await running.app.keys.create(consumer.id, {}, { id: 't', sourceIp: null })).key;
  });
  after(async () => {
    await running.close();
    for (const upstream of upstreams) await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const which = async (path: string) => {
    const response = await fetch(`${running.gatewayUrl}${path}`, { headers: { 'x-api-key': key } });
    return response.headers.get('x-upstream');
  };

  it('the longest base path wins, on segment boundaries', async () => {
    assert.equal(await which('/api/v2/orders'), 'v2');
    assert.equal(await which('/api/v2'), 'v2');
    assert.equal(await which('/api/v2x'), 'api');
    assert.equal(await which('/api'), 'api');
    assert.equal(await which('/apix'), 'root');
    assert.equal(await which('/'), 'root');
  });

  it('routes registered on the public listener win over a base path', async () => {
    const token = await fetch(`${running.gatewayUrl}/extra/token`, { method: 'POST' });
    assert.equal(token.status, 200);
    assert.deepEqual(await token.json(), { access_token: 'from-a-registered-route' });
    const docs = await fetch(`${running.gatewayUrl}/extra-docs/jwks.json`);
    assert.deepEqual(await docs.json(), { document: 'jwks.json' });
    // GET /extra/token is not a registered route: Fastify answers 404 in problem JSON, not the root API.
    const notFound = await fetch(`${running.gatewayUrl}/extra/token`);
    assert.equal(notFound.status, 404);
    assert.equal(((await notFound.json()) as any).code, 'ROUTE_NOT_FOUND');
  });

  it('serves Prometheus metrics on the admin listener', async () => {
    await which('/api/x');
    const port = (running.admin.server.address() as AddressInfo).port;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${running.firstAdminKey}` } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /portcullis_gateway_requests_total\{api="api",status="200",auth_method="api-key"\} [1-9]/);
    assert.match(text, /portcullis_gateway_request_duration_seconds_bucket\{le="0.5",api="api"\} [1-9]/);
    assert.match(text, /portcullis_key_verify_cache_total\{result="hit"\} [1-9]/);
    assert.match(text, /portcullis_key_verify_cache_total\{result="miss"\} [1-9]/);
    assert.match(text, /portcullis_process_cpu_seconds_total/);
    assert.ok(!text.includes(key));
  });
});
