// Credential changes through the admin API take effect at the gateway at once, and auth fails
// closed: with the store unreachable a key that may be valid gets 503 + Retry-After, never 401.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'undici';
import { type Harness, rawRequest, startHarness, startUpstream, type Upstream } from './helpers.js';

describe('gateway: credential lifecycle', () => {
  let upstream: Upstream;
  let h: Harness;

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({ apis: [{ name: 'api', basePath: '/api', upstream: upstream.url }] });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${h.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${h.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('a key revoked through the admin API gets 401 on the next request', async () => {
    const { key, keyId } = await h.issueKey();
    assert.equal((await fetch(`${h.gateway.url}/api/x`, { headers: { 'x-api-key': key } })).status, 200);
    assert.equal((await admin('POST', `/admin/v1/keys/${keyId}/revoke`)).status, 200);
    const response = await fetch(`${h.gateway.url}/api/x`, { headers: { 'x-api-key': key } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="portcullis", error="invalid_token"');
    const body = (await response.json()) as any;
    assert.equal(body.code, 'CREDENTIAL_INVALID');
    assert.equal(body.reason, 'REVOKED');
    assert.equal(body.requestId, response.headers.get('x-request-id'));
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });

  it('one keep-alive connection: each request is judged on its own credential, and a revocation holds on it', async () => {
    // The gateway keeps, per connection, the last credential and its hash; none of that may carry
    // one request's identity or verdict over to the next.
    const a = await h.issueKey();
    const b = await h.issueKey();
    const client = new Client(h.gateway.url, { pipelining: 1 });
    const consumerOf = async (headers: Record<string, string>) => {
      const response = await client.request({ path: '/api/x', method: 'GET', headers });
      const body = (await response.body.json()) as any;
      return { status: response.statusCode, consumer: body.headers?.['x-consumer-id'] as string | undefined };
    };
    try {
      assert.deepEqual(await consumerOf({ 'x-api-key': a.key }), { status: 200, consumer: a.consumerId });
      assert.deepEqual(await consumerOf({ 'x-api-key': a.key }), { status: 200, consumer: a.consumerId });
      assert.deepEqual(await consumerOf({ 'x-api-key': b.key }), { status: 200, consumer: b.consumerId });
      const flipped = `${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`;
      assert.equal((await consumerOf({ 'x-api-key': flipped })).status, 401);
      assert.deepEqual(await consumerOf({ authorization: `Bearer ${a.key}` }), { status: 200, consumer: a.consumerId });
      // The connection also keeps the last Authorization header read; a different one is read anew.
      assert.deepEqual(await consumerOf({ authorization: `Bearer ${b.key}` }), { status: 200, consumer: b.consumerId });
      assert.equal((await consumerOf({ authorization: `Bearer ${b.key} trailing` })).status, 401);
      assert.equal((await consumerOf({ authorization: `Basic ${b.key}` })).status, 401);
      assert.deepEqual(await consumerOf({ authorization: `Bearer ${a.key}` }), { status: 200, consumer: a.consumerId });
      assert.equal((await admin('POST', `/admin/v1/keys/${a.keyId}/revoke`)).status, 200);
      assert.equal((await consumerOf({ authorization: `Bearer ${a.key}` })).status, 401);
      assert.deepEqual(await consumerOf({ 'x-api-key': b.key }), { status: 200, consumer: b.consumerId });
    } finally {
      await client.close();
    }
  });

  it('a disabled consumer’s key gets 401 DISABLED at once', async () => {
    const { key, consumerId } = await h.issueKey();
    assert.equal((await fetch(`${h.gateway.url}/api/x`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
    assert.equal((await admin('PATCH', `/admin/v1/consumers/${consumerId}`, { enabled: false })).status, 200);
    const response = await fetch(`${h.gateway.url}/api/x`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as any).reason, 'DISABLED');
  });

  it('no credential → 401 with a challenge without error; two credentials → 400 invalid_request', async () => {
    const missing = await fetch(`${h.gateway.url}/api/x`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    assert.match(((await missing.json()) as any).detail, /Authorization: Bearer <credential> or X-Api-Key: <key>/);
    const { key } = await h.issueKey();
    const both = await rawRequest(`${h.gateway.url}/api/x`, { headers: { authorization: `Bearer ${key}`, 'x-api-key': key } });
    assert.equal(both.status, 400);
    assert.equal(both.json().code, 'CREDENTIAL_AMBIGUOUS');
    assert.match(both.headers['www-authenticate']!, /error="invalid_request"/);
  });

  it('the Bearer scheme name is case-insensitive; another scheme is no credential', async () => {
    // RFC 9110 §11.1. The usual `Bearer ` is matched by a prefix comparison, any other casing by the pattern.
    const { key, consumerId } = await h.issueKey();
    for (const authorization of [`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `bEaReR ${key}  `]) {
      const response = await fetch(`${h.gateway.url}/api/x`, { headers: { authorization } });
      assert.equal(response.status, 200, authorization);
      assert.equal(((await response.json()) as any).headers['x-consumer-id'], consumerId);
    }
    for (const authorization of [`Bearerx ${key}`, `Basic ${key}`, `Bearer`]) {
      const response = await fetch(`${h.gateway.url}/api/x`, { headers: { authorization } });
      assert.equal(response.status, 401, authorization);
      assert.equal(((await response.json()) as any).code, 'CREDENTIAL_MISSING', authorization);
    }
  });

  it('store unreachable → 503 with Retry-After for a key not in the cache, never 401', async () => {
    const other = await startHarness({ apis: [{ name: 'api', basePath: '/api', upstream: upstream.url }] });
    const { key } = await other.issueKey();
    await other.app.store.close();
    try {
      const response = await fetch(`${other.gateway.url}/api/x`, { headers: { 'x-api-key': key } });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      const body = (await response.json()) as any;
      assert.ok(['STORE_UNAVAILABLE', 'AUTH_UNAVAILABLE'].includes(body.code), body.code);
      assert.ok(!JSON.stringify(body).includes(key));
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
