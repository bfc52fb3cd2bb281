import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createTestApp } from '../helpers/app.js';

test('admin routes need an admin key: 401 without, 403 without the admin scope', async () => {
  const t = await createTestApp();
  try {
    const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'app', scopes: ['read'] })).body;
    const plain = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, {})).body.key;
    for (const authorization of [
      undefined,
      'Bearer',
      'Basic abc',
      `Bearer ${plain.slice(0, -1)}${plain.endsWith('x') ? 'y' : 'x'}`,
      `Bearer  ${plain} extra`,
    ]) {
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
    assert.equal(create.requestBody.content['application/json'].schema.$ref, '#/components/schemas/ConsumerCreate');
    assert.ok(doc.components.schemas.ConsumerCreate.properties.name);
    assert.ok(create.responses['201']);
    assert.deepEqual(doc.security, [{ adminKey: [] }]);
  } finally {
    await t.close();
  }
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const COMPONENT = /^#\/components\/schemas\/([A-Za-z][A-Za-z0-9]*)$/;

test('the OpenAPI document is made for generators: one camelCase operationId per route, bodies named by $ref', async () => {
  const t = await createTestApp();
  try {
    const doc = (await t.admin.inject({ method: 'GET', url: '/admin/v1/openapi.json' })).json();
    const components: Record<string, object> = doc.components.schemas;
    for (const name of [
      'Problem',
      'Consumer',
      'ConsumerPage',
      'Key',
      'IssuedKey',
      'RolledKey',
      'Client',
      'IssuedClient',
      'AuditEvent',
      'UsageReport',
      'SigningKey',
    ]) {
      assert.ok(components[name], `component ${name}`);
    }
    assert.deepEqual(
      Object.keys(components).filter((name) => !/^[A-Z][A-Za-z0-9]*$/.test(name)),
      [],
      'no generated names (def-0)',
    );

    const seen = new Map<string, string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method];
        const label = `${method.toUpperCase()} ${path}`;
        assert.match(String(op.operationId), /^[a-z][A-Za-z0-9]*$/, `${label} has a camelCase operationId`);
        assert.ok(!seen.has(op.operationId), `${label}: operationId ${op.operationId} is also ${seen.get(op.operationId)}`);
        seen.set(op.operationId, label);
        const declared = (op.parameters ?? [])
          .filter((p: any) => p.in === 'path')
          .map((p: any) => {
            assert.equal(p.required, true, label);
            return p.name;
          });
        assert.deepEqual(declared.sort(), [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort(), `${label} declares its path parameters`);
        if (op.requestBody) assert.match(op.requestBody.content['application/json'].schema.$ref, COMPONENT, `${label} request body`);
        for (const [status, response] of Object.entries<any>(op.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (status === '204') assert.equal(schema, undefined, `${label} 204`);
          else if (/^[45]XX$/.test(status)) assert.equal(schema.$ref, '#/components/schemas/Problem', `${label} ${status}`);
          else assert.match(schema.$ref, COMPONENT, `${label} ${status} response`);
        }
      }
    }
    assert.ok(seen.size >= 24, `${seen.size} operations`);

    // Every component is a JSON Schema (2020-12, OpenAPI 3.1's dialect) and every $ref in the
    // document resolves: compiling them through the document itself follows each reference.
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ components: doc.components }, 'doc');
    for (const name of Object.keys(components)) assert.ok(ajv.getSchema(`doc#/components/schemas/${name}`), name);
    const refs = JSON.stringify(doc.paths).match(/"\$ref":"[^"]*"/g) ?? [];
    for (const ref of refs) assert.ok(components[COMPONENT.exec(JSON.parse(`{${ref}}`).$ref)?.[1] ?? ''], ref);
  } finally {
    await t.close();
  }
});
