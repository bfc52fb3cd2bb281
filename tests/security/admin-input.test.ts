// Issue #19 §5: admin input that could break the store or the data plane. Nesting has a depth limit
// judged without recursion (a 20,000-deep document is a 400, not a 500); NUL is refused at every
// depth; lone surrogates are refused, never silently replaced; the services hold the same rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';

const nest = (levels: number, inner: string) => `${'{"a":'.repeat(levels - 1)}{"a":${inner}}${'}'.repeat(levels - 1)}`;
const json = { 'content-type': 'application/json' };

describe('admin input: depth, NUL and Unicode', () => {
  let t: TestApp;
  let consumerId: string;
  let keyId: string;
  let clientId: string;
  before(async () => {
    t = await createTestApp();
    consumerId = (await t.call('POST', '/admin/v1/consumers', { name: 'owner' })).body.id;
    keyId = (await t.call('POST', `/admin/v1/consumers/${consumerId}/keys`, {})).body.id;
    clientId = (await t.call('POST', `/admin/v1/consumers/${consumerId}/clients`, {})).body.clientId;
  });
  after(() => t.close());

  it('metadata nests at most 32 levels; deeper, up to 20,000 levels, is 400 NESTING_TOO_DEEP', async () => {
    const ok = await t.call('POST', '/admin/v1/consumers', `{"name":"deep-ok","metadata":${nest(32, '1')}}`, json);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    for (const levels of [33, 100, 20_000]) {
      for (const [method, url, field] of [
        ['POST', '/admin/v1/consumers', `"name":"deep-${levels}",`],
        ['PATCH', `/admin/v1/consumers/${consumerId}`, ''],
        ['POST', `/admin/v1/consumers/${consumerId}/keys`, ''],
        ['PATCH', `/admin/v1/keys/${keyId}`, ''],
      ] as const) {
        const response = await t.call(method, url, `{${field}"metadata":${nest(levels, '1')}}`, json);
        assert.equal(response.status, 400, `${method} ${url} ${levels}: ${JSON.stringify(response.body).slice(0, 200)}`);
        assert.equal(response.body.code, 'NESTING_TOO_DEEP');
      }
    }
    // Other bodies too: a client's JWK Set.
    const jwks = await t.call('PATCH', `/admin/v1/clients/${clientId}`, `{"jwks":{"keys":[${nest(20_000, '1')}]}}`, json);
    assert.equal(jwks.status, 400);
    assert.equal(jwks.body.code, 'NESTING_TOO_DEEP');
  });

  it('a NUL character is refused at every depth, in keys and values', async () => {
    for (const [inner, label] of [
      ['"x\\u0000y"', 'value at depth 30'],
      ['{"k\\u0000":1}', 'key at depth 31'],
    ] as const) {
      const response = await t.call('POST', '/admin/v1/consumers', `{"name":"nul","metadata":${nest(30, inner)}}`, json);
      assert.equal(response.status, 400, label);
      assert.equal(response.body.code, 'NUL_CHARACTER', label);
    }
    // Deeper than the old walk looked (64 levels): refused too, never stored.
    const deep = await t.call('POST', '/admin/v1/consumers', `{"name":"nul-deep","metadata":${nest(70, '"x\\u0000"')}}`, json);
    assert.equal(deep.status, 400);
    assert.ok(['NUL_CHARACTER', 'NESTING_TOO_DEEP'].includes(deep.body.code));
  });

  it('lone surrogates are refused in names, metadata keys and values, scopes and queries; pairs are kept', async () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/admin/v1/consumers', '{"name":"lone\\ud800"}'],
      ['POST', '/admin/v1/consumers', '{"name":"lone-low","metadata":{"k":"\\udc00x"}}'],
      ['POST', '/admin/v1/consumers', '{"name":"lone-key","metadata":{"\\udbff":1}}'],
      ['POST', '/admin/v1/consumers', `{"name":"lone-deep","metadata":${nest(20, '"\\ud800\\ud800\\udc00"')}}`],
      ['PATCH', `/admin/v1/keys/${keyId}`, '{"name":"k\\ud800"}'],
      ['PATCH', `/admin/v1/clients/${clientId}`, '{"name":"\\udfff"}'],
      ['POST', '/admin/v1/keys/verify', '{"key":"pcl_\\ud800"}'],
    ];
    for (const [method, url, body] of cases) {
      const response = await t.call(method, url, body, json);
      assert.equal(response.status, 400, `${method} ${url} ${body.slice(0, 60)}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.code, 'INVALID_UNICODE', body.slice(0, 60));
    }
    const query = await t.call('GET', `/admin/v1/audit-events?actor=${encodeURIComponent('a')}%ED%A0%80`);
    assert.ok(query.status === 400 || query.status === 200, 'an undecodable query is refused or read as U+FFFD, never stored');
    const pair = await t.call('POST', '/admin/v1/consumers', '{"name":"smile \\ud83d\\ude00","metadata":{"e":"\\ud83d\\ude00"}}', json);
    assert.equal(pair.status, 201);
    const read = (await t.call('GET', `/admin/v1/consumers/${pair.body.id}`)).body;
    assert.equal(read.name, 'smile 😀');
    assert.equal(read.metadata.e, '😀');
  });

  it('the services refuse the same metadata without the HTTP layer (library and store users)', async () => {
    const actor = { id: 'test', sourceIp: null };
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const bad: Array<[Record<string, unknown>, string]> = [
      [deep, 'NESTING_TOO_DEEP'],
      [JSON.parse(nest(20, '"x\\u0000"')), 'NUL_CHARACTER'],
      [{ k: '\ud800' }, 'INVALID_UNICODE'],
    ];
    for (const [metadata, code] of bad) {
      await assert.rejects(t.app.consumers.create({ name: `svc-${code}`, metadata }, actor), (e: { code?: string }) => e.code === code, code);
      await assert.rejects(t.app.keys.create(consumerId, { metadata }, actor), (e: { code?: string }) => e.code === code, code);
    }
  });
});
