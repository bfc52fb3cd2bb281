import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, envName, loadConfig } from '../../src/config/load.js';
import { SAMPLE_CONFIG } from '../../src/config/sample.js';
import { cli } from '../helpers/cli.js';
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
    assert.throws(
      () => withFile(content),
      (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
      content,
    );
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
  assert.throws(
    () => loadConfig({ env: { PORTCULLIS_CONFIG: '/nonexistent/portcullis.yaml' } }),
    /not found: \/nonexistent\/portcullis\.yaml \(from PORTCULLIS_CONFIG\)/,
  );
});

test('an error in a value set by an environment variable names the variable, not the config file', () => {
  const fromEnv = (content: string, env: NodeJS.ProcessEnv) => {
    try {
      withFile(content, env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    assert.fail('the config was accepted');
  };
  const port = fromEnv('admin:\n  port: 9000\n', { PORTCULLIS_ADMIN_PORT: 'eighty' });
  assert.equal(port, 'invalid configuration in the environment:\n  PORTCULLIS_ADMIN_PORT (admin.port): Expected integer (got "eighty")');
  // A list set as JSON: the error inside it names the variable that set the list.
  const apis = fromEnv('', {
    PORTCULLIS_APIS: JSON.stringify([{ name: 'orders', basePath: '/orders', upstream: 'ftp://x', rateLimit: { limit: 10, window: '1m' } }]),
  });
  assert.match(apis, /^invalid configuration in the environment:\n {2}PORTCULLIS_APIS \(apis\.0\.upstream\): /);
  const bounds = fromEnv('', {
    PORTCULLIS_APIS: JSON.stringify([{ name: 'orders', basePath: '/orders', upstream: 'http://x', rateLimit: { limit: 10, window: '500ms' } }]),
  });
  assert.match(bounds, /^invalid configuration in the environment:\n {2}PORTCULLIS_APIS \(apis\.0\.rateLimit\.window\): /);
  // Errors from both: each line says where it came from, the file by its path.
  const both = fromEnv('keys:\n  prefix: "Bad Prefix"\n', { PORTCULLIS_ADMIN_PORT: 'eighty' });
  assert.match(both, /^invalid configuration in \/.*portcullis\.yaml and the environment:\n/);
  assert.match(both, /^ {2}keys\.prefix: /m);
  assert.match(both, /^ {2}PORTCULLIS_ADMIN_PORT \(admin\.port\): /m);
  // The file alone: as before.
  assert.match(fromEnv('admin:\n  port: eighty\n', {}), /^invalid configuration in \/.*portcullis\.yaml:\n {2}admin\.port: Expected integer/);
});

test('the CLI names the variable behind a bad value, not the config file beside it', async () => {
  const tmp = tempDir();
  try {
    writeFileSync(join(tmp.dir, 'portcullis.yaml'), SAMPLE_CONFIG);
    const result = await cli(tmp.dir, ['consumers', 'list'], { PORTCULLIS_LISTEN_PORT: '80a' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'portcullis: invalid configuration in the environment:\n  PORTCULLIS_LISTEN_PORT (listen.port): Expected integer (got "80a")\n',
    );
  } finally {
    tmp.remove();
  }
});

test('workers: auto or 1..256, from the file or PORTCULLIS_WORKERS; absent means auto', () => {
  assert.equal(withFile('workers: 4\n').config.workers, 4);
  assert.equal(withFile('workers: auto\n').config.workers, 'auto');
  assert.equal(withFile('log: { level: warn }\n').config.workers, undefined, 'absent: auto, resolved at start');
  assert.equal(withFile('workers: 2\n', { PORTCULLIS_WORKERS: '3' }).config.workers, 3);
  assert.equal(withFile('', { PORTCULLIS_WORKERS: 'auto' }).config.workers, 'auto');
  for (const bad of ['workers: 0\n', 'workers: 257\n', 'workers: 1.5\n', 'workers: many\n']) {
    assert.throws(
      () => withFile(bad),
      (error: Error) => error instanceof ConfigError && /workers/.test(error.message),
      bad,
    );
  }
  assert.throws(() => withFile('', { PORTCULLIS_WORKERS: 'lots' }), /PORTCULLIS_WORKERS \(workers\)/);
});
