// Issue #19 §5: every error the HTTP framework raises by itself reaches the client as problem JSON
// with a code of the registry — never a Fastify code (FST_ERR_*) or message — on both listeners.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { testLogger } from '../helpers/logs.js';
import { type RawRequest, type RawResponse, rawRequest } from './admin-raw-http.js';

function assertRegistryProblem(response: RawResponse, status: number, code: string, label: string): void {
  assert.equal(response.status, status, `${label}: ${response.body.slice(0, 200)}`);
  assert.equal(response.code, code, label);
  assert.ok(code in ERROR_CODES, label);
  assert.equal(ERROR_CODES[code as keyof typeof ERROR_CODES].status, status, `${label}: the status is the registry's`);
  assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/, label);
  assert.ok(!/FST_|fastify/i.test(response.body), `${label}: no framework code or message: ${response.body}`);
}

describe('framework errors are registry codes', () => {
  let running: RunningPortcullis;
  let dir: string;
  let adminPort: number;
  let publicPort: number;
  let auth: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-fst-'));
    const config = validateConfig(
      { store: `sqlite:${join(dir, 'p.db')}`, listen: { host: '127.0.0.1', port: 0 }, admin: { port: 0, bodyLimit: 4096 } },
      'test',
    );
    running = await startPortcullis({
      loaded: { config, path: null, demo: false },
      logger: testLogger(),
      print: () => undefined,
      registerPublic(server) {
        server.get('/extra/:id', async () => ({ ok: true }));
      },
    });
    adminPort = (running.admin.server.address() as AddressInfo).port;
    publicPort = Number(new URL(running.gatewayUrl).port);
    auth = { authorization: `Bearer ${running.firstAdminKey}` };
  });
  after(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: string, headers: Record<string, string>): RawRequest => ({ method: 'POST', target: '/admin/v1/consumers', headers, body });

  it('admin listener: each kind of framework error', async () => {
    const cases: Array<[string, RawRequest, number, string]> = [
      ['a path parameter over maxParamLength', { method: 'GET', target: `/admin/v1/consumers/con_${'a'.repeat(120)}`, headers: auth }, 400, 'BAD_PATH'],
      ['a malformed percent-encoding', { method: 'GET', target: '/admin/v1/consumers/%zz', headers: auth }, 400, 'BAD_PATH'],
      ['a body type no parser takes', post('name=x', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['text/plain', post('{"name":"x"}', { ...auth, 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a malformed Content-Type', post('{"name":"x"}', { ...auth, 'content-type': ';;;' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a body without Content-Type', post('{"name":"x"}', { ...auth }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['an empty JSON body', post('', { ...auth, 'content-type': 'application/json' }), 400, 'INVALID_JSON'],
      ['invalid JSON', post('{"name":', { ...auth, 'content-type': 'application/json' }), 400, 'INVALID_JSON'],
      ['__proto__ in JSON', post('{"name":"x","__proto__":{"a":1}}', { ...auth, 'content-type': 'application/json' }), 400, 'INVALID_JSON'],
      ['a body over the limit', post(`{"name":"${'x'.repeat(5000)}"}`, { ...auth, 'content-type': 'application/json' }), 413, 'PAYLOAD_TOO_LARGE'],
      [
        'a gzip Content-Encoding',
        post('{"name":"x"}', { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['a br Content-Encoding', post('{"name":"x"}', { ...auth, 'content-type': 'application/json', 'content-encoding': 'br' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['an unauthenticated path no route serves', { method: 'PUT', target: '/admin/v1/consumers' }, 401, 'UNAUTHENTICATED'],
      ['a method no route serves', { method: 'PUT', target: '/admin/v1/consumers', headers: auth }, 404, 'ROUTE_NOT_FOUND'],
      [
        'a header block over the limit',
        { method: 'GET', target: '/admin/v1/consumers', headers: { ...auth, 'x-big': 'a'.repeat(20_000) } },
        431,
        'HEADERS_TOO_LARGE',
      ],
      [
        'Content-Length with Transfer-Encoding',
        post('{}', { ...auth, 'content-type': 'application/json', 'content-length': '2', 'transfer-encoding': 'chunked' }),
        400,
        'BAD_REQUEST',
      ],
      ['a bad Content-Length', post('{}', { ...auth, 'content-type': 'application/json', 'content-length': 'x' }), 400, 'BAD_REQUEST'],
    ];
    for (const [label, request, status, code] of cases) {
      assertRegistryProblem(await rawRequest(adminPort, request), status, code, label);
    }
  });

  it('admin listener: a request line the HTTP parser refuses', async () => {
    for (const target of ['/admin/v1/consumers HTTP/1.1 x', '/admin/v1/con sumers']) {
      assertRegistryProblem(await rawRequest(adminPort, { method: 'GET', target }), 400, 'BAD_REQUEST', target);
    }
  });

  it('admin listener: a body shorter than its Content-Length (inject, as no socket can end one early)', async () => {
    const response = await running.admin.inject({
      method: 'POST',
      url: '/admin/v1/consumers',
      headers: { ...auth, 'content-type': 'application/json', 'content-length': '40' },
      payload: '{"name":"x"}',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'BAD_REQUEST');
    assert.ok(!response.body.includes('FST_'));
  });

  it('public listener: routing errors of its Fastify routes', async () => {
    const cases: Array<[string, RawRequest, number, string]> = [
      ['a malformed percent-encoding', { method: 'GET', target: '/.well-known/jwks.json%' }, 400, 'BAD_PATH'],
      ['a path parameter over maxParamLength', { method: 'GET', target: `/extra/${'x'.repeat(120)}` }, 400, 'BAD_PATH'],
      ['a malformed percent-encoding in a parameter', { method: 'GET', target: '/extra/%zz' }, 400, 'BAD_PATH'],
    ];
    for (const [label, request, status, code] of cases) {
      assertRegistryProblem(await rawRequest(publicPort, request), status, code, label);
    }
  });
});
