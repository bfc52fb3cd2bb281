// `apis` and `gateway` config: checked at boot, each error names the field.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { compileApis } from '../../src/gateway/compile-apis.js';

const api = { name: 'orders', basePath: '/orders', upstream: 'http://127.0.0.1:3000' };
const compile = (apis: unknown[], baseDir = tmpdir()) => compileApis(validateConfig({ apis }, 'test').apis, { baseDir, warn: () => undefined });

describe('gateway config', () => {
  it('fills defaults', () => {
    const config = validateConfig({ apis: [api] }, 'test');
    assert.deepEqual(config.apis[0], { ...api, auth: ['api-key'], scopes: [], stripBasePath: false, passThrough: false });
    assert.equal(config.gateway.maxHeaderSize, 16384);
    const [compiled] = compile([api]);
    assert.deepEqual(compiled!.timeouts, { connectMs: 5000, headersMs: 30000, bodyMs: 30000 });
  });

  it('durations like "5s", one for all phases or each phase', () => {
    assert.deepEqual(compile([{ ...api, timeout: '2s' }])[0]!.timeouts, { connectMs: 2000, headersMs: 2000, bodyMs: 2000 });
    assert.deepEqual(compile([{ ...api, timeout: { headers: '250ms' } }])[0]!.timeouts, { connectMs: 5000, headersMs: 250, bodyMs: 30000 });
  });

  for (const [what, entry, field] of [
    ['a base path without a slash', { ...api, basePath: 'orders' }, 'apis.0.basePath'],
    ['an upstream that is not http(s)', { ...api, upstream: 'ftp://x' }, 'apis.0.upstream'],
    ['an unknown auth method', { ...api, auth: ['basic'] }, 'apis.0.auth.0'],
    ['an unknown field', { ...api, stripPrefix: true }, 'apis.0.stripPrefix'],
    ['a bad duration', { ...api, timeout: '5 seconds' }, 'apis.0.timeout'],
    ['a bad header name', { ...api, apiKeyHeader: 'X API Key' }, 'apis.0.apiKeyHeader'],
  ] as const) {
    it(`refuses ${what}, naming ${field}`, () => {
      assert.throws(
        () => validateConfig({ apis: [entry] }, 'test'),
        (error: Error) => error instanceof ConfigError && error.message.includes(`${field}:`),
      );
    });
  }

  it('refuses duplicate names and base paths, and a broken OpenAPI document, naming the entry', () => {
    assert.throws(() => compile([api, { ...api, basePath: '/other' }]), /apis\.1\.name: orders is also the name of apis\.0/);
    assert.throws(() => compile([api, { ...api, name: 'b', basePath: '/orders/' }]), /apis\.1\.basePath/);
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-cfg-'));
    try {
      writeFileSync(join(dir, 'swagger.yaml'), 'swagger: "2.0"\npaths: {}\n');
      assert.throws(() => compile([{ ...api, openapi: 'swagger.yaml' }], dir), /apis\.0\.openapi: .*openapi must be 3\.0\.x or 3\.1\.x/);
      assert.throws(() => compile([{ ...api, openapi: 'missing.yaml' }], dir), /apis\.0\.openapi: cannot read/);
      writeFileSync(join(dir, 'ext.yaml'), 'openapi: 3.1.0\npaths:\n  /a:\n    $ref: "other.yaml#/x"\n');
      assert.throws(() => compile([{ ...api, openapi: 'ext.yaml' }], dir), /only local \$ref/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
