// Library mode's middlewares own the verifier they build from `store`: closing them (the Fastify
// plugin with its app, the others by their `close()`) writes the last-used times still pending and
// closes the store, so a key used just before shutdown still shows when it was last used.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createManualClock } from '../../src/lib/clock.js';
import { portcullisAuth as expressAuth } from '../../src/library/express.js';
import { portcullisAuth as fastifyAuth, portcullis } from '../../src/library/fastify.js';
import { portcullisAuth as honoAuth, type PortcullisEnv } from '../../src/library/hono.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { noteSecret } from '../helpers/logs.js';

describe('library mode: closing a middleware writes pending last-used times', () => {
  let t: TestApp;
  let storeUrl: string;
  const actor = { id: 'test', sourceIp: null };
  // The middlewares' clock: a last-used time is this clock's now, far from the test app's.
  const clock = createManualClock(Date.UTC(2026, 5, 1, 8));

  before(async () => {
    t = await createTestApp();
    storeUrl = `sqlite:${t.sqlitePath!}`;
  });
  after(() => t.close());

  let consumers = 0;
  async function unusedKey(): Promise<{ key: string; keyId: string }> {
    const consumer = await t.app.consumers.create({ name: `shop ${++consumers}`, scopes: ['orders:read'] }, actor);
    const { key, record } = await t.app.keys.create(consumer.id, {}, actor);
    noteSecret(key);
    return { key, keyId: record.id };
  }

  const lastUsedAt = async (keyId: string) => (await t.app.store.getKey(keyId))!.lastUsedAt;

  it('fastify: the plugin flushes and closes its verifier when the app closes', async () => {
    const { key, keyId } = await unusedKey();
    const app = Fastify();
    await app.register(portcullis, { store: storeUrl, scopes: ['orders:read'], clock });
    app.get('/orders', async (request) => request.identity!.consumerId);
    const response = await app.inject({ url: '/orders', headers: { authorization: `Bearer ${key}` } });
    assert.equal(response.statusCode, 200);
    assert.equal(await lastUsedAt(keyId), null, 'the time waits for the batch');
    await app.close();
    assert.equal(await lastUsedAt(keyId), clock.now());
  });

  it('fastify: a per-route hook closes its verifier by close()', async () => {
    const { key, keyId } = await unusedKey();
    const hook = fastifyAuth({ store: storeUrl, scopes: ['orders:read'], clock });
    const app = Fastify();
    app.addHook('onClose', hook.close);
    app.get('/orders', { onRequest: hook }, async (request) => request.identity!.consumerId);
    assert.equal((await app.inject({ url: '/orders', headers: { 'x-api-key': key } })).statusCode, 200);
    await app.close();
    assert.equal(await lastUsedAt(keyId), clock.now());
  });

  it('express: close() on the middleware', async () => {
    const { key, keyId } = await unusedKey();
    const auth = expressAuth({ store: storeUrl, scopes: ['orders:read'], clock });
    const app = express();
    app.get('/orders', auth, (req, res) => void res.send(req.identity!.consumerId));
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, { headers: { 'x-api-key': key } });
      assert.equal(response.status, 200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    assert.equal(await lastUsedAt(keyId), null);
    await auth.close();
    assert.equal(await lastUsedAt(keyId), clock.now());
  });

  it('hono: close() on the middleware', async () => {
    const { key, keyId } = await unusedKey();
    const auth = honoAuth({ store: storeUrl, scopes: ['orders:read'], clock });
    const app = new Hono<PortcullisEnv>();
    app.get('/orders', auth, (c) => c.text(c.get('identity').consumerId));
    assert.equal((await app.request('/orders', { headers: { authorization: `Bearer ${key}` } })).status, 200);
    await auth.close();
    assert.equal(await lastUsedAt(keyId), clock.now());
  });

  it('a verifier passed in stays open: whoever made it closes it', async () => {
    const { key, keyId } = await unusedKey();
    const { createInProcessVerifier } = await import('../../src/library/verifier.js');
    const verifier = createInProcessVerifier({ store: storeUrl, clock });
    const app = Fastify();
    await app.register(portcullis, { verifier, scopes: ['orders:read'] });
    app.get('/orders', async (request) => request.identity!.consumerId);
    assert.equal((await app.inject({ url: '/orders', headers: { 'x-api-key': key } })).statusCode, 200);
    await app.close();
    assert.equal(await lastUsedAt(keyId), null);
    await verifier.close();
    assert.equal(await lastUsedAt(keyId), clock.now());
  });
});
