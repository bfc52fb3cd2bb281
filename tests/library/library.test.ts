// Library mode in the real frameworks: each middleware admits a valid key (identity on the request),
// refuses a revoked one with the gateway's 401, and a key without the scope with 403.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createManualClock } from '../../src/lib/clock.js';
import { portcullisAuth as expressAuth } from '../../src/library/express.js';
import { portcullis as fastifyPortcullis } from '../../src/library/fastify.js';
import { portcullisAuth as honoAuth, type PortcullisEnv } from '../../src/library/hono.js';
import { type Harness, startHarness, startUpstream, type Upstream } from '../gateway/helpers.js';

describe('library mode', () => {
  let upstream: Upstream;
  let h: Harness;
  let storeUrl: string;

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({ apis: [] });
    storeUrl = `sqlite:${join(h.dir, 'portcullis.db')}`;
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  const revoke = async (keyId: string) => {
    const response = await fetch(`${h.adminUrl}/admin/v1/keys/${keyId}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${h.adminKey}` } });
    assert.equal(response.status, 200);
  };

  /** The shared expectations, run against one framework's base URL. */
  async function contract(base: string, afterRevoke: () => void) {
    const { key, keyId, consumerId } = await h.issueKey({ scopes: ['orders:read'], metadata: { plan: 'pro' } });
    const ok = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200);
    const identity = (await ok.json()) as any;
    assert.equal(identity.consumerId, consumerId);
    assert.equal(identity.credential.type, 'api-key');
    assert.equal(identity.credential.keyId, keyId);
    assert.deepEqual(identity.metadata, { plan: 'pro' });
    assert.equal((await fetch(`${base}/orders`, { headers: { 'x-api-key': key } })).status, 200);

    const missing = await fetch(`${base}/orders`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    assert.match(missing.headers.get('content-type')!, /^application\/problem\+json/);
    assert.equal(((await missing.json()) as any).code, 'CREDENTIAL_MISSING');

    const write = await fetch(`${base}/orders/write`, { method: 'POST', headers: { 'x-api-key': key } });
    assert.equal(write.status, 403);
    assert.match(write.headers.get('www-authenticate')!, /error="insufficient_scope", scope="orders:write"/);
    assert.equal(((await write.json()) as any).code, 'INSUFFICIENT_SCOPE');

    await revoke(keyId);
    afterRevoke();
    const revoked = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(revoked.status, 401);
    assert.match(revoked.headers.get('www-authenticate')!, /error="invalid_token"/);
    const body = (await revoked.json()) as any;
    assert.equal(body.code, 'CREDENTIAL_INVALID');
    assert.equal(body.reason, 'REVOKED');

    const { key: fresh, keyId: freshId } = await h.issueKey();
    await revoke(freshId);
    assert.equal((await fetch(`${base}/orders`, { headers: { 'x-api-key': fresh } })).status, 401, 'a key revoked before its first use');
  }

  it('fastify: plugin in-process on the same store; a revocation lands within the cache TTL', async () => {
    const clock = createManualClock(Date.now());
    const app = Fastify();
    await app.register(async (scoped) => {
      await scoped.register(fastifyPortcullis, { store: storeUrl, scopes: ['orders:read'], clock, cache: { ttl: '5s' } });
      scoped.get('/orders', async (request) => request.identity);
      scoped.post(
        '/orders/write',
        { onRequest: (await import('../../src/library/fastify.js')).portcullisAuth({ store: storeUrl, scopes: ['orders:write'] }) },
        async () => 'written',
      );
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await contract(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, () => clock.advance(5_001));
    } finally {
      await app.close();
    }
  });

  it('express: middleware in-process with the cache off; a revocation lands at once', async () => {
    const app = express();
    app.get('/orders', expressAuth({ store: storeUrl, scopes: ['orders:read'], cache: { maxEntries: 0 } }), (req, res) => {
      res.json(req.identity);
    });
    app.post('/orders/write', expressAuth({ store: storeUrl, scopes: ['orders:write'] }), (_req, res) => {
      res.send('written');
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      await contract(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => undefined);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('hono: middleware verifying remotely against the admin API, cached locally', async () => {
    const clock = createManualClock(Date.now());
    const remote = { url: h.adminUrl, adminKey: h.adminKey };
    const app = new Hono<PortcullisEnv>();
    app.get('/orders', honoAuth({ remote, scopes: ['orders:read'], clock }), (c) => c.json(c.get('identity')));
    app.post('/orders/write', honoAuth({ remote, scopes: ['orders:write'], clock }), (c) => c.text('written'));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    try {
      await contract(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => clock.advance(10_001));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('options are checked when the middleware is built', () => {
    assert.throws(() => expressAuth({}), /exactly one of verifier, store or remote/);
    assert.throws(() => honoAuth({ store: storeUrl, remote: { url: 'http://x', adminKey: 'k' } }), /exactly one/);
    assert.throws(() => expressAuth({ store: storeUrl, apiKeyHeader: 'Authorization' }), /apiKeyHeader/);
  });
});
