import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, envName, loadConfig } from '../../src/config/load.js';
import { SAMPLE_CONFIG } from '../../src/config/sample.js';
import { tempDir } from '../helpers/stores.js';

function withFile(content: string, env: NodeJS.ProcessEnv = {}) {
  const tmp = tempDir();
  const path = join(tmp.dir, 'portcullis.yaml');
  writeFileSync(path, content);
  try {
    return loadConfig({ path, env, cwd: tmp.dir });
  } finally {
    tmp.remove();
  }
}

test('no file: the demo on defaults', () => {
  const tmp = tempDir();
  try {
    const loaded = loadConfig({ env: {}, cwd: tmp.dir });
    assert.equal(loaded.demo, true);
    assert.equal(loaded.config.store, 'sqlite:./.portcullis/portcullis.db');
    assert.equal(loaded.config.admin.host, '127.0.0.1');
    assert.equal(loaded.config.admin.port, 8081);
    assert.equal(loaded.config.keys.prefix, 'pcl');
  } finally {
    tmp.remove();
  }
});

test('the sample written by init is valid', () => {
  const loaded = withFile(SAMPLE_CONFIG);
  assert.equal(loaded.demo, false);
  assert.equal(loaded.config.listen.port, 8080);
});

test('errors name the field path', () => {
  const cases: Array<[string, RegExp]> = [
    ['admin:\n  port: 99999\n', /admin\.port/],
    ['keys:\n  prefix: "Bad Prefix"\n', /keys\.prefix/],
    ['keys:\n  cache:\n    ttl: soon\n', /keys\.cache\.ttl/],
    ['store: mysql://x\n', /store/],
    ['listn:\n  port: 1\n', /listn/],
    ['- a\n- b\n', /mapping/],
    ['admin: [\n', /not valid YAML/],
  ];
  for (const [content, pattern] of cases) {
    assert.throws(() => withFile(content), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), content);
  }
});

test('environment variables override any value', () => {
  assert.equal(envName(['keys', 'cache', 'maxEntries']), 'PORTCULLIS_KEYS_CACHE_MAX_ENTRIES');
  const loaded = withFile('admin:\n  port: 9000\n', {
    PORTCULLIS_ADMIN_PORT: '9100',
    PORTCULLIS_STORE: 'postgres://u@h/db',
    PORTCULLIS_KEYS_CACHE_TTL: '5s',
    PORTCULLIS_KEYS_PREFIX: 'acme',
  });
  assert.equal(loaded.config.admin.port, 9100);
  assert.equal(loaded.config.store, 'postgres://u@h/db');
  assert.equal(loaded.config.keys.cache.ttl, '5s');
  assert.equal(loaded.config.keys.prefix, 'acme');
  assert.throws(() => withFile('', { PORTCULLIS_ADMIN_PORT: 'eighty' }), /admin\.port/);
});

test('a missing explicit file says how to make one', () => {
  assert.throws(() => loadConfig({ path: '/nonexistent/portcullis.yaml', env: {} }), /portcullis init/);
});
