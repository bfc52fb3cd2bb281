// Issue #19 §1: authentication belongs to the admin routes, not to URL text. Non-canonical request
// targets are refused before any route runs, even with a valid admin key; /metrics needs a key
// unless configured public; a handler never runs without an authenticated actor.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAdminServer } from '../../src/admin/server.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { createTestApp, logLines } from '../helpers/app.js';
import { testLogger } from '../helpers/logs.js';
import { rawRequest } from './admin-raw-http.js';

async function start(admin: Record<string, unknown> = {}): Promise<{ running: RunningPortcullis; port: number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-admin-access-'));
  const config = validateConfig({ store: `sqlite:${join(dir, 'p.db')}`, listen: { host: '127.0.0.1', port: 0 }, admin: { port: 0, ...admin } }, 'test');
  const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => undefined });
  return {
    running,
    port: (running.admin.server.address() as AddressInfo).port,
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('admin listener: one canonical spelling per path', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let auth: Record<string, string>;
  before(async () => {
    s = await start();
    auth = { authorization: `Bearer ${s.running.firstAdminKey}` };
  });
  after(() => s.close());

  it('refuses non-canonical targets with 400 BAD_PATH, even with an admin key', async () => {
    const targets = [
      '/%61dmin/v1/consumers',
      '/admin/v1/consumer%73',
      '/admin/v1/audit%2Devents',
      '/admin/v1/consumers%7E',
      '/admin%2Fv1/consumers',
      '/admin%2fv1/consumers',
      '/admin%5Cv1/consumers',
      '/admin\\v1/consumers',
      `http://127.0.0.1:${s.port}/admin/v1/consumers`,
      'http://evil.example/admin/v1/consumers',
      '//admin/v1/consumers',
      '/admin//v1/consumers',
      '/admin/v1/consumers/',
      '/admin/./v1/consumers',
      '/admin/v1/../v1/consumers',
      '/admin/v1/%2e%2e/v1/consumers',
      '/admin/v1/%2E/consumers',
      '/admin/v1/.%2E/v1/consumers',
      '/admin/v1/consumers;x',
      '/admin/v1/consumers#x',
      '/admin/v1/consumers%',
      '/admin/v1/consumers%zz',
      '/admin/v1/consumers%00',
      '/healthz/',
      '/%68ealthz',
      '*',
    ];
    for (const target of targets) {
      const response = await rawRequest(s.port, { method: 'GET', target, headers: auth });
      assert.equal(response.status, 400, target);
      assert.equal(response.code, 'BAD_PATH', target);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', target);
    }
  });

  it('accepts percent-encoded reserved characters in a path parameter', async () => {
    const response = await rawRequest(s.port, { method: 'POST', target: '/admin/v1/tokens/abc%3Adef/revoke', headers: auth });
    assert.equal(response.status, 200, response.body);
    assert.equal(JSON.parse(response.body).jti, 'abc:def');
  });

  it('a path no route serves is 401 without an admin key and 404 with one', async () => {
    const without = await rawRequest(s.port, { method: 'GET', target: '/Admin/v1/consumers' });
    assert.equal(without.status, 401);
    assert.equal(without.code, 'UNAUTHENTICATED');
    const withKey = await rawRequest(s.port, { method: 'GET', target: '/Admin/v1/consumers', headers: auth });
    assert.equal(withKey.status, 404);
    assert.equal(withKey.code, 'ROUTE_NOT_FOUND');
  });

  it('/metrics needs an admin key by default; /healthz, /readyz and the OpenAPI document do not', async () => {
    const anonymous = await rawRequest(s.port, { method: 'GET', target: '/metrics' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.code, 'UNAUTHENTICATED');
    const withKey = await rawRequest(s.port, { method: 'GET', target: '/metrics', headers: auth });
    assert.equal(withKey.status, 200);
    assert.match(withKey.body, /portcullis_process_cpu_seconds_total/);
    for (const target of ['/healthz', '/readyz', '/admin/v1/openapi.json']) {
      assert.equal((await rawRequest(s.port, { method: 'GET', target })).status, 200, target);
    }
  });
});

describe('admin listener: admin.publicMetrics', () => {
  it('serves /metrics without a key when configured, and nothing else becomes public', async () => {
    const s = await start({ publicMetrics: true });
    try {
      const response = await rawRequest(s.port, { method: 'GET', target: '/metrics' });
      assert.equal(response.status, 200);
      assert.match(response.body, /portcullis_process_cpu_seconds_total/);
      assert.equal((await rawRequest(s.port, { method: 'GET', target: '/admin/v1/consumers' })).status, 401);
      assert.equal((await rawRequest(s.port, { method: 'POST', target: '/metrics' })).status, 401);
    } finally {
      await s.close();
    }
  });
});

describe('admin listener: authentication is attached to every route', () => {
  it('a route registered by other code needs an admin key, whatever its path', async () => {
    const t = await createTestApp();
    const admin = await buildAdminServer(t.app, {
      register(server) {
        server.get('/debug/state', async () => ({ secret: 'internal' }));
        server.post('/hooks/:id', async () => ({ ok: true }));
      },
    });
    try {
      for (const [method, url] of [
        ['GET', '/debug/state'],
        ['POST', '/hooks/x'],
      ] as const) {
        const anonymous = await admin.inject({ method, url });
        assert.equal(anonymous.statusCode, 401, url);
        assert.equal(anonymous.json().code, 'UNAUTHENTICATED');
        assert.equal((await admin.inject({ method, url, headers: { authorization: `Bearer ${t.adminKey}` } })).statusCode, 200, url);
      }
    } finally {
      await admin.close();
      await t.close();
    }
  });

  it('a route cannot make itself public: the server refuses to start', async () => {
    const t = await createTestApp();
    try {
      await assert.rejects(
        buildAdminServer(t.app, { register: (server) => void server.get('/debug/state', { config: { adminAccess: 'public' } }, async () => ({})) }),
        /claims public access but is not on the public list/,
      );
    } finally {
      await t.close();
    }
  });

  it('a handler reading request.actor without authentication is a logged fault, never a served request', async () => {
    const t = await createTestApp();
    const admin = await buildAdminServer(t.app, {
      publicPaths: ['/probe'],
      register: (server) => void server.get('/probe', async (request) => ({ actor: request.actor.id })),
    });
    try {
      const response = await admin.inject({ method: 'GET', url: '/probe' });
      assert.equal(response.statusCode, 500);
      assert.equal(response.json().code, 'INTERNAL');
      assert.ok(!response.body.includes('actor'), 'no internals in the answer');
      assert.ok(
        logLines(t.logs).some((line) => JSON.stringify(line).includes('UnauthenticatedHandlerFault')),
        'the fault is in the log',
      );
    } finally {
      await admin.close();
      await t.close();
    }
  });

  it('the CLI’s in-process server still acts as its trusted actor without a key', async () => {
    const t = await createTestApp();
    const admin = await buildAdminServer(t.app, { trustedActor: { id: 'cli:local', sourceIp: null } });
    try {
      const created = await admin.inject({ method: 'POST', url: '/admin/v1/consumers', payload: { name: 'from-cli' } });
      assert.equal(created.statusCode, 201);
      const events = (await t.call('GET', `/admin/v1/audit-events?targetId=${created.json().id}`)).body.items;
      assert.equal(events[0].actor, 'cli:local');
    } finally {
      await admin.close();
      await t.close();
    }
  });
});
