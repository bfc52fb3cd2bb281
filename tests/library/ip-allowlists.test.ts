// IP allowlists in library mode: the middleware checks a key's (and its consumer's) allowedIps against
// the request's source address, in process and through a remote verifier (whose verify answer carries
// the lists), with the option trustProxy read as gateway.trustProxy is.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { portcullisAuth } from '../../src/library/fastify.js';
import { type Harness, startHarness } from '../gateway/helpers.js';

describe('library mode: IP allowlists', () => {
  let h: Harness;
  const apps: FastifyInstance[] = [];

  before(async () => {
    h = await startHarness({ apis: [] });
  });
  after(async () => {
    for (const app of apps) await app.close();
    await h.close();
  });

  async function appWith(options: Parameters<typeof portcullisAuth>[0]): Promise<FastifyInstance> {
    const app = Fastify();
    const auth = portcullisAuth(options);
    app.addHook('onRequest', auth);
    app.addHook('onClose', () => auth.close());
    app.get('/orders', async (request) => ({ consumerId: request.identity?.consumerId }));
    await app.ready();
    apps.push(app);
    return app;
  }
  const get = async (app: FastifyInstance, key: string, remoteAddress: string, forwardedFor?: string) => {
    const response = await app.inject({
      url: '/orders',
      remoteAddress,
      headers: { 'x-api-key': key, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    });
    return { status: response.statusCode, code: response.statusCode === 200 ? null : JSON.parse(response.body).code };
  };
  const restrict = async (path: string, allowedIps: string[]) => {
    const response = await fetch(`${h.adminUrl}${path}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowedIps }),
    });
    assert.equal(response.status, 200);
  };

  it('in process: the peer address against the key’s and the consumer’s lists', async () => {
    const app = await appWith({ store: `sqlite:${join(h.dir, 'portcullis.db')}`, cache: { ttl: '1ms' } });
    const { key, keyId, consumerId } = await h.issueKey();
    await restrict(`/admin/v1/keys/${keyId}`, ['10.0.0.0/8']);
    assert.deepEqual(await get(app, key, '10.1.2.3'), { status: 200, code: null });
    assert.deepEqual(await get(app, key, '::ffff:10.1.2.3'), { status: 200, code: null });
    assert.deepEqual(await get(app, key, '192.0.2.1'), { status: 403, code: 'IP_NOT_ALLOWED' });
    assert.deepEqual(await get(app, key, '192.0.2.1', '10.1.2.3'), { status: 403, code: 'IP_NOT_ALLOWED' }, 'X-Forwarded-For is not read without trustProxy');
    await restrict(`/admin/v1/consumers/${consumerId}`, ['10.9.0.0/16']);
    assert.deepEqual(await get(app, key, '10.1.2.3'), { status: 403, code: 'IP_NOT_ALLOWED' });
    assert.deepEqual(await get(app, key, '10.9.0.1'), { status: 200, code: null });
  });

  it('in process with trustProxy: the last X-Forwarded-For entry', async () => {
    const app = await appWith({ store: `sqlite:${join(h.dir, 'portcullis.db')}`, trustProxy: true });
    const { key, keyId } = await h.issueKey();
    await restrict(`/admin/v1/keys/${keyId}`, ['2001:db8::/32']);
    assert.deepEqual(await get(app, key, '127.0.0.1', '2001:db8::1'), { status: 200, code: null });
    assert.deepEqual(await get(app, key, '127.0.0.1', '2001:db8::1, 192.0.2.1'), { status: 403, code: 'IP_NOT_ALLOWED' });
  });

  it('remote: the verify answer carries the lists, so a remote verifier checks them too', async () => {
    const app = await appWith({ remote: { url: h.adminUrl, adminKey: h.adminKey } });
    const { key, keyId } = await h.issueKey();
    await restrict(`/admin/v1/keys/${keyId}`, ['203.0.113.0/24']);
    assert.deepEqual(await get(app, key, '203.0.113.5'), { status: 200, code: null });
    assert.deepEqual(await get(app, key, '198.51.100.5'), { status: 403, code: 'IP_NOT_ALLOWED' }, 'the cached answer is checked again');
    const verify = await fetch(`${h.adminUrl}/admin/v1/keys/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    const body = (await verify.json()) as any;
    assert.deepEqual(body.allowedIps, { key: ['203.0.113.0/24'], consumer: [] });
    assert.equal(body.allowlist, undefined, 'the compiled matcher stays inside');
  });
});
