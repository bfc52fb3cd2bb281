import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/app.js';

test('admin routes need an admin key: 401 without, 403 without the admin scope', async () => {
  const t = await createTestApp();
  try {
    const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'app', scopes: ['read'] })).body;
    const plain = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, {})).body.key;
    for (const authorization of [undefined, 'Bearer', 'Basic abc', `Bearer ${plain.slice(0, -1)}${plain.endsWith('x') ? 'y' : 'x'}`, `Bearer  ${plain} extra`]) {
      const response = await t.admin.inject({ method: 'GET', url: '/admin/v1/consumers', headers: authorization ? { authorization } : {} });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.equal(response.json().code, 'UNAUTHENTICATED');
    }
    const forbidden = await t.call('GET', '/admin/v1/consumers', undefined, { authorization: `Bearer ${plain}` });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.code, 'FORBIDDEN');
    // A revoked admin key stops working at once.
    const second = await t.app.createAdminKey('second');
    assert.equal((await t.call('GET', '/admin/v1/consumers', undefined, { authorization: `Bearer ${second.key}` })).status, 200);
    await t.call('POST', `/admin/v1/keys/${second.record.id}/revoke`);
    assert.equal((await t.call('GET', '/admin/v1/consumers', undefined, { authorization: `Bearer ${second.key}` })).status, 401);
    // The actor and source IP are in the audit trail.
    const events = (await t.call('GET', `/admin/v1/audit-events?targetId=${second.record.id}`)).body.items;
    const revoked = events.find((e: { action: string }) => e.action === 'key.revoked');
    assert.ok(revoked.actor.startsWith('key_'));
    assert.equal(revoked.sourceIp, '127.0.0.1');
  } finally {
    await t.close();
  }
});

test('the OpenAPI 3.1 document lists every contract route with its schemas', async () => {
  const t = await createTestApp();
  try {
    const response = await t.admin.inject({ method: 'GET', url: '/admin/v1/openapi.json' });
    assert.equal(response.statusCode, 200);
    const doc = response.json();
    assert.equal(doc.openapi, '3.1.0');
    const expected: Array<[string, string]> = [
      ['post', '/admin/v1/consumers'],
      ['get', '/admin/v1/consumers'],
      ['get', '/admin/v1/consumers/{id}'],
      ['patch', '/admin/v1/consumers/{id}'],
      ['delete', '/admin/v1/consumers/{id}'],
      ['post', '/admin/v1/consumers/{id}/keys'],
      ['get', '/admin/v1/consumers/{id}/keys'],
      ['get', '/admin/v1/keys/{keyId}'],
      ['patch', '/admin/v1/keys/{keyId}'],
      ['post', '/admin/v1/keys/{keyId}/revoke'],
      ['post', '/admin/v1/keys/{keyId}/roll'],
      ['post', '/admin/v1/keys/verify'],
      ['get', '/admin/v1/audit-events'],
    ];
    for (const [method, path] of expected) {
      assert.ok(doc.paths[path]?.[method], `${method} ${path} is documented`);
    }
    const create = doc.paths['/admin/v1/consumers'].post;
    assert.ok(create.requestBody.content['application/json'].schema.properties.name);
    assert.ok(create.responses['201']);
    assert.deepEqual(doc.security, [{ adminKey: [] }]);
  } finally {
    await t.close();
  }
});
