// IP allowlists at the gateway: a key (or its consumer) with allowedIps is refused from elsewhere with
// 403 IP_NOT_ALLOWED; the source address is the peer, or with gateway.trustProxy the last
// X-Forwarded-For entry only (what our own proxy appended); a list change reaches a cached key at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { noteSecret } from '../helpers/logs.js';
import { type Harness, rawRequest, startHarness, startUpstream, type Upstream } from './helpers.js';

describe('gateway: IP allowlists', () => {
  let upstream: Upstream;
  let direct: Harness;
  let proxied: Harness;

  before(async () => {
    upstream = await startUpstream();
    const apis = [{ name: 'api', basePath: '/api', upstream: upstream.url }];
    direct = await startHarness({ apis });
    proxied = await startHarness({ apis, gateway: { trustProxy: true } });
  });
  after(async () => {
    await direct.close();
    await proxied.close();
    await upstream.close();
  });

  const admin = async (h: Harness, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${h.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${h.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const call = (h: Harness, key: string, forwardedFor?: string) =>
    rawRequest(`${h.gateway.url}/api/x`, { headers: { 'x-api-key': key, ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) } });

  it('a key without a list works from anywhere; one whose list excludes the peer gets 403 IP_NOT_ALLOWED', async () => {
    const open = await direct.issueKey();
    assert.equal((await call(direct, open.key)).status, 200);

    const { key, keyId } = await direct.issueKey();
    assert.equal((await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['10.0.0.0/8'] })).status, 200);
    const refused = await call(direct, key);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    const body = refused.json();
    assert.equal(body.code, 'IP_NOT_ALLOWED');
    assert.equal(body.reason, 'IP_NOT_ALLOWED');
    assert.equal(upstream.last?.headers['x-api-key'], undefined);
  });

  it('without trustProxy a spoofed X-Forwarded-For changes nothing: the peer (127.0.0.1) is checked', async () => {
    const { key, keyId } = await direct.issueKey();
    await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['10.0.0.0/8'] });
    assert.equal((await call(direct, key, '10.1.2.3')).status, 403);
    await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['127.0.0.0/8'] });
    assert.equal((await call(direct, key, '10.1.2.3')).status, 200);
    assert.equal((await call(direct, key)).status, 200);
  });

  it('the key’s and the consumer’s lists must both allow the address', async () => {
    const { key, keyId, consumerId } = await direct.issueKey();
    await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['127.0.0.1'] });
    assert.equal((await call(direct, key)).status, 200);
    const patched = await admin(direct, 'PATCH', `/admin/v1/consumers/${consumerId}`, { allowedIps: ['192.0.2.0/24'] });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.allowedIps, ['192.0.2.0/24']);
    assert.equal((await call(direct, key)).status, 403, 'the consumer’s list excludes the peer');
    await admin(direct, 'PATCH', `/admin/v1/consumers/${consumerId}`, { allowedIps: ['::ffff:127.0.0.0/104'] });
    assert.equal((await call(direct, key)).status, 200);
  });

  it('a list change reaches the cached key at once, both ways', async () => {
    const { key, keyId } = await direct.issueKey();
    assert.equal((await call(direct, key)).status, 200, 'cached now');
    await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['2001:db8::/32'] });
    assert.equal((await call(direct, key)).status, 403);
    await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: [] });
    assert.equal((await call(direct, key)).status, 200);
  });

  it('a rolled key keeps the old key’s list', async () => {
    const { keyId } = await direct.issueKey();
    await admin(direct, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['10.0.0.0/8'] });
    const rolled = await admin(direct, 'POST', `/admin/v1/keys/${keyId}/roll`, {});
    assert.equal(rolled.status, 201);
    assert.deepEqual(rolled.body.allowedIps, ['10.0.0.0/8']);
    assert.equal((await call(direct, rolled.body.key)).status, 403);
  });

  it('with trustProxy the last X-Forwarded-For entry is the source: IPv4, IPv6 and IPv4-mapped', async () => {
    const { key, keyId } = await proxied.issueKey();
    await admin(proxied, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['10.0.0.0/8', '2001:db8::/32'] });
    assert.equal((await call(proxied, key, '10.1.2.3')).status, 200);
    assert.equal((await call(proxied, key, '2001:db8::7')).status, 200);
    assert.equal((await call(proxied, key, '::ffff:10.9.9.9')).status, 200);
    assert.equal((await call(proxied, key, '11.0.0.1')).status, 403);
    assert.equal((await call(proxied, key, '2001:db9::1')).status, 403);
    assert.equal((await call(proxied, key)).status, 403, 'no header: the peer 127.0.0.1, outside the list');
  });

  it('with trustProxy an allowed address the client put first is not believed: only the last entry counts', async () => {
    const { key, keyId } = await proxied.issueKey();
    await admin(proxied, 'PATCH', `/admin/v1/keys/${keyId}`, { allowedIps: ['10.0.0.0/8'] });
    assert.equal((await call(proxied, key, '10.1.2.3, 198.51.100.4')).status, 403);
    assert.equal((await call(proxied, key, '198.51.100.4, 10.1.2.3')).status, 200);
    assert.equal((await call(proxied, key, 'unknown')).status, 403, 'not an address: the peer is used');
  });

  it('an admin key with allowedIps opens the admin API from those addresses only', async () => {
    const second = await direct.app.createAdminKey('restricted');
    noteSecret(second.key);
    const asSecond = () => fetch(`${direct.adminUrl}/admin/v1/consumers`, { headers: { authorization: `Bearer ${second.key}` } });
    assert.equal((await asSecond()).status, 200);
    assert.equal((await admin(direct, 'PATCH', `/admin/v1/keys/${second.record.id}`, { allowedIps: ['10.0.0.0/8'] })).status, 200);
    const refused = await asSecond();
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as any).code, 'IP_NOT_ALLOWED');
    await admin(direct, 'PATCH', `/admin/v1/keys/${second.record.id}`, { allowedIps: ['127.0.0.1', '::1'] });
    assert.equal((await asSecond()).status, 200);
  });

  it('a bad entry is a 400 IP_ALLOWLIST_INVALID on keys and consumers, and nothing changes', async () => {
    const { keyId, consumerId } = await direct.issueKey();
    for (const path of [`/admin/v1/keys/${keyId}`, `/admin/v1/consumers/${consumerId}`]) {
      const bad = await admin(direct, 'PATCH', path, { allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] });
      assert.equal(bad.status, 400, path);
      assert.equal(bad.body.code, 'IP_ALLOWLIST_INVALID');
      assert.equal(bad.body.entry, '10.0.0.0/33');
      assert.deepEqual((await admin(direct, 'GET', path)).body.allowedIps, []);
    }
    const tooMany = await admin(direct, 'POST', `/admin/v1/consumers/${consumerId}/keys`, {
      allowedIps: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`),
    });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.code, 'VALIDATION_FAILED');
    const notString = await admin(direct, 'POST', `/admin/v1/consumers/${consumerId}/keys`, { allowedIps: [42] });
    assert.equal(notString.status, 400);
  });
});
