// Walks every admin route (taken from the generated OpenAPI document, so a new route is covered
// automatically) with hostile input: each answer is a 4xx problem JSON with a stable code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
}

function operations(document: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(document.paths)) {
    for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
      if (item[method]) ops.push({ method: method.toUpperCase(), path, hasBody: Boolean(item[method].requestBody) });
    }
  }
  return ops;
}

function assertProblem(response: { status: number; body: any; headers: Record<string, unknown> }, label: string): void {
  assert.ok(response.status >= 400 && response.status < 500, `${label}: status ${response.status} ${JSON.stringify(response.body)}`);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/, label);
  assert.ok(response.body.code in ERROR_CODES, `${label}: unknown code ${response.body.code}`);
  assert.equal(response.body.status, response.status, label);
  const text = JSON.stringify(response.body);
  assert.ok(!/\bat .+\.(js|ts):\d+/.test(text) && !text.includes('node_modules'), `${label}: stack trace in body`);
}

async function ids(t: TestApp) {
  const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'victim', scopes: ['a'] })).body;
  const key = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, {})).body;
  return { id: consumer.id as string, keyId: key.id as string };
}

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'x');
}

test('every admin route answers hostile input with 4xx problem JSON', async () => {
  const t = await createTestApp({ config: { admin: { bodyLimit: 4096 } } });
  try {
    const document = (await t.call('GET', '/admin/v1/openapi.json')).body;
    const ops = operations(document);
    assert.ok(ops.length >= 12, `found ${ops.length} operations`);
    const real = await ids(t);
    const unknown = { id: 'con_0000000000000000000000', keyId: 'key_0000000000000000000000', clientId: 'cli_0000000000000000000000', jti: 'never-issued' };
    const nul = { id: 'con_\u0000', keyId: 'key_%00', clientId: 'cli_%00', jti: 'x%00' };
    const negative = { id: '-1', keyId: '-1', clientId: '-1', jti: '-1' };

    for (const op of ops) {
      const label = `${op.method} ${op.path}`;
      const hasParams = op.path.includes('{');
      if (hasParams) {
        // Unknown ids, ids of the wrong shape, encoded NUL bytes, negative numbers.
        for (const values of [unknown, nul, negative]) {
          const body = op.hasBody ? {} : undefined;
          const response = await t.call(op.method, fill(op.path, values).replace('\u0000', '%00'), body);
          if (op.path.endsWith('/keys') && op.method === 'GET' && values === unknown) {
            assert.equal(response.status, 404, label);
          }
          // Revoking a token id nobody has seen is idempotent: the denylist simply holds it.
          // A token id is any string, so only the NUL byte must be refused there.
          if (op.path.includes('{jti}') && values !== nul && response.status < 300) continue;
          assertProblem(response, `${label} with ${JSON.stringify(values)}`);
        }
      }
      const path = fill(op.path, real);
      // Without credentials and with a non-admin key.
      const anonymous = await t.admin.inject({ method: op.method as 'GET', url: path });
      assert.equal(anonymous.statusCode, 401, `${label} anonymous`);
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/);
      if (op.method === 'GET') {
        for (const query of ['limit=-1', 'limit=abc', 'limit=100000', 'cursor=%00', 'cursor=!!!', 'from=yesterday']) {
          const response = await t.call('GET', `${path}?${query}`);
          if (response.status < 400) continue; // a parameter this route does not have is rejected elsewhere
          assertProblem(response, `${label}?${query}`);
        }
        continue;
      }
      if (!op.hasBody) continue;
      const bodies: Array<[string, string | object]> = [
        ['bad JSON', '{"name": '],
        ['JSON array', '[1,2,3]'],
        ['JSON string', '"text"'],
        ['wrong types', { name: 42, scopes: 'a', metadata: [], enabled: 'yes', expireOldInSeconds: '5', key: 7, expiresAt: 5 }],
        ['negative numbers', { expireOldInSeconds: -1, name: 'n', key: 'k' }],
        ['huge numbers', { expireOldInSeconds: 1e20 }],
        ['NUL bytes', { name: 'a\u0000b', key: 'pcl_\u0000', metadata: { 'k\u0000': 1 } }],
        ['unknown fields', { bogus: true }],
        ['oversize', { name: 'x'.repeat(10_000) }],
        ['deep nesting', JSON.parse(`{"metadata":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`)],
        ['proto pollution', '{"__proto__": {"admin": true}, "name": "p"}'],
      ];
      for (const [what, body] of bodies) {
        const response = await t.call(op.method, path, body, { 'content-type': 'application/json' });
        if (response.status < 400) {
          // Some bodies are acceptable to some routes (e.g. verify accepts any key string); they must
          // then be a real success, never a 5xx.
          assert.ok(response.status < 300, `${label} ${what}: ${response.status}`);
          continue;
        }
        assertProblem(response, `${label} ${what}`);
      }
      const wrongType = await t.call(op.method, path, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
      assertProblem(wrongType, `${label} form body`);
      assert.equal(wrongType.status, 415);
      // The import route has its own limit (16 MiB, IMPORT_BODY_LIMIT; tests/imports checks it).
      if (path === '/admin/v1/imports') continue;
      const oversize = await t.call(op.method, path, JSON.stringify({ name: 'x'.repeat(8000) }), { 'content-type': 'application/json' });
      assert.equal(oversize.status, 413, `${label} oversize`);
      assert.equal(oversize.body.code, 'PAYLOAD_TOO_LARGE');
    }

    // Metadata over 8 KB is refused with its own code.
    const big = await t.call('PATCH', `/admin/v1/consumers/${real.id}`, { metadata: { blob: 'x'.repeat(3000) } });
    assert.equal(big.status, 200);
    const t2 = await createTestApp();
    try {
      const tooBig = await t2.call('POST', '/admin/v1/consumers', { name: 'big', metadata: { blob: 'x'.repeat(9000) } });
      assert.equal(tooBig.status, 400);
      assert.equal(tooBig.body.code, 'METADATA_TOO_LARGE');
    } finally {
      await t2.close();
    }
    assert.ok(!t.logs.some((line) => line.includes('"level":50')), 'no error was logged');
  } finally {
    await t.close();
  }
});

test('unknown routes and methods are problem JSON too', async () => {
  const t = await createTestApp();
  try {
    for (const [method, url] of [
      ['GET', '/admin/v1/nope'],
      ['PUT', '/admin/v1/consumers'],
      ['GET', '/'],
    ]) {
      const response = await t.call(method!, url!);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'ROUTE_NOT_FOUND');
    }
  } finally {
    await t.close();
  }
});
