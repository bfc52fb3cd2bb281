// Library mode checks tokens as the gateway does: Portcullis' own JWTs (from its token endpoint) and a
// trusted issuer's, in each framework adapter, with the gateway's 401/403 answers and WWW-Authenticate.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createAuthenticator } from '../../src/index.js';
import type { PortcullisAuthOptions } from '../../src/library/authenticate.js';
import { portcullisAuth as expressAuth } from '../../src/library/express.js';
import { portcullisAuth as fastifyAuth, portcullis as fastifyPortcullis } from '../../src/library/fastify.js';
import { portcullisAuth as honoAuth, type PortcullisEnv } from '../../src/library/hono.js';
import { noteSecret } from '../helpers/logs.js';
import { basic, createOAuthHarness, ISSUER, type OAuthHarness } from '../oauth/helpers.js';
import { startTestIdp, type TestIdp } from '../oauth/idp.js';

const AUDIENCE = 'https://api.example.com/orders';

describe('library mode: tokens', () => {
  let idp: TestIdp;
  let h: OAuthHarness;
  let consumer: any;
  let client: any;
  let external: any;

  before(async () => {
    idp = await startTestIdp();
    idp.addKey('ES256');
    h = await createOAuthHarness({
      config: { trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'] }] },
    });
    consumer = await h.createConsumer({ name: 'orders-app', scopes: ['orders:read', 'orders:write'], metadata: { plan: 'pro' } });
    client = await h.createClient(consumer.id, { scopes: ['orders:read'], audiences: [AUDIENCE, 'https://api.example.com/billing'] });
    external = await h.createConsumer({ name: 'idp-service', externalIds: ['svc-7@clients'], scopes: ['orders:read'] });
  });
  after(async () => {
    await h?.close();
    await idp?.close();
  });

  const ownToken = (audience = AUDIENCE) => h.tokenFor(client, { audience });
  const idpToken = () => {
    const now = Math.floor(h.clock.now() / 1000);
    const token = idp.sign({
      iss: idp.issuer,
      sub: 'svc-7@clients',
      aud: [AUDIENCE],
      azp: 'idp-client',
      iat: now,
      exp: now + 600,
      scope: 'orders:read',
      jti: randomUUID(),
    });
    noteSecret(token);
    return token;
  };
  const options = (store: NonNullable<PortcullisAuthOptions['store']>, scopes: string[]): PortcullisAuthOptions => ({
    store,
    scopes,
    issuer: ISSUER,
    audience: AUDIENCE,
    trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'] }],
    clock: h.clock,
  });

  /** The shared expectations against one framework's base URL; `revoked` was revoked before the app saw any token. */
  async function contract(base: string, revoked: string) {
    const token = await ownToken();
    const ok = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const identity = (await ok.json()) as any;
    assert.equal(identity.consumerId, consumer.id);
    assert.deepEqual(identity.metadata, { plan: 'pro' });
    assert.deepEqual(identity.credential, { type: 'jwt', clientId: client.clientId, jti: identity.credential.jti, issuer: ISSUER });

    const write = await fetch(`${base}/orders/write`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(write.status, 403);
    assert.equal(write.headers.get('www-authenticate'), 'Bearer realm="portcullis", error="insufficient_scope", scope="orders:write"');
    assert.match(write.headers.get('content-type')!, /^application\/problem\+json/);
    assert.deepEqual((({ code, reason, missingScopes }) => ({ code, reason, missingScopes }))((await write.json()) as any), {
      code: 'INSUFFICIENT_SCOPE',
      reason: 'INSUFFICIENT_SCOPE',
      missingScopes: ['orders:write'],
    });

    const fromIdp = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${idpToken()}` } });
    assert.equal(fromIdp.status, 200);
    const idpIdentity = (await fromIdp.json()) as any;
    assert.equal(idpIdentity.consumerId, external.id);
    assert.deepEqual(idpIdentity.credential.issuer, idp.issuer);
    assert.equal(idpIdentity.credential.clientId, 'idp-client');

    const refusals: Array<[string, string]> = [
      [revoked, 'TOKEN_REVOKED'],
      [await ownToken('https://api.example.com/billing'), 'TOKEN_AUDIENCE_MISMATCH'],
      [`${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(86)}`, 'TOKEN_SIGNATURE_INVALID'],
    ];
    for (const [refused, reason] of refusals) {
      const response = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${refused}` } });
      assert.equal(response.status, 401, reason);
      assert.match(response.headers.get('www-authenticate')!, /^Bearer realm="portcullis", error="invalid_token"/);
      const body = (await response.json()) as any;
      assert.equal(body.code, 'CREDENTIAL_INVALID');
      assert.equal(body.reason, reason);
    }
  }

  async function revokedToken(): Promise<string> {
    const token = await ownToken();
    const response = await h.post('/oauth/revoke', { token }, { authorization: basic(client.clientId, client.clientSecret) });
    assert.equal(response.status, 200);
    return token;
  }

  it('fastify: plugin in process on the store URL', async () => {
    const revoked = await revokedToken();
    const app = Fastify();
    await app.register(async (scoped) => {
      await scoped.register(fastifyPortcullis, options(`sqlite:${h.sqlitePath}`, ['orders:read']));
      scoped.get('/orders', async (request) => request.identity);
    });
    app.post('/orders/write', { onRequest: fastifyAuth(options(`sqlite:${h.sqlitePath}`, ['orders:write'])) }, async () => 'written');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await contract(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, revoked);
    } finally {
      await app.close();
    }
  });

  it('express: middleware in process on an open store', async () => {
    const revoked = await revokedToken();
    const app = express();
    const read = expressAuth(options(h.app.store, ['orders:read']));
    app.get('/orders', read, (req, res) => {
      res.json(req.identity);
    });
    app.post('/orders/write', expressAuth(options(h.app.store, ['orders:write'])), (_req, res) => {
      res.send('written');
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      await contract(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, revoked);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('hono: middleware in process on the store URL', async () => {
    const revoked = await revokedToken();
    const app = new Hono<PortcullisEnv>();
    app.get('/orders', honoAuth(options(`sqlite:${h.sqlitePath}`, ['orders:read'])), (c) => c.json(c.get('identity')));
    app.post('/orders/write', honoAuth(options(`sqlite:${h.sqlitePath}`, ['orders:write'])), (c) => c.text('written'));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    try {
      await contract(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, revoked);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('auth narrows the methods; a remote verifier checks API keys only, and says so when asked for tokens', async () => {
    const token = await ownToken();
    const byDefault = createAuthenticator(options(h.app.store, []));
    const keysOnly = createAuthenticator({ ...options(h.app.store, []), auth: ['api-key'] });
    try {
      const headers: IncomingHttpHeaders = { authorization: `Bearer ${token}` };
      const admitted = await byDefault.authenticate((name) => headers[name]);
      assert.equal(admitted.ok && admitted.identity.consumerId, consumer.id);
      const refused = await keysOnly.authenticate((name) => headers[name]);
      assert.equal(!refused.ok && refused.status, 401);
      assert.equal(!refused.ok && refused.body.reason, 'NOT_ACCEPTED');
      // node gives a header sent twice (other than Authorization) as an array, or joined: both are refused
      const twice = await byDefault.authenticate((name) => (name === 'x-api-key' ? ['pcl_a', 'pcl_b'] : undefined));
      assert.equal(!twice.ok && twice.body.code, 'CREDENTIAL_AMBIGUOUS');
    } finally {
      await byDefault.verifier.close();
      await keysOnly.verifier.close();
    }
    assert.throws(
      () => createAuthenticator({ remote: { url: 'http://127.0.0.1:1', adminKey: 'k' }, auth: ['jwt'] }),
      /auth lists jwt, which this verifier cannot check/,
    );
    assert.throws(
      () => createAuthenticator({ remote: { url: 'http://127.0.0.1:1', adminKey: 'k' }, issuer: ISSUER }),
      /issuer and trustedIssuers go with store/,
    );
    assert.throws(
      () =>
        createAuthenticator({ store: h.app.store, trustedIssuers: [{ issuer: idp.issuer, jwksUri: 'ftp://x', audience: AUDIENCE, algorithms: ['ES256'] }] }),
      /trustedIssuers\.0\.jwksUri/,
    );
  });
});
