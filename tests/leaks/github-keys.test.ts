// GitHub's key document and the endpoint's configuration: only P-256 keys with sane identifiers are
// kept, an unreachable key server is reported as such (the endpoint answers 503, see github.test.ts), and
// the endpoint's path may not shadow an API, the portal or the OAuth routes.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { createGithubKeys, parseGithubKeys } from '../../src/leaks/github-keys.js';
import { newSigningKey, signAsGithub } from './helpers.js';

const pemOf = (type: 'rsa' | 'ec', options: object) =>
  generateKeyPairSync(type as 'ec', options as { namedCurve: string })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('GitHub key document', () => {
  test('keeps P-256 keys only; skips other curves, RSA, bad PEM and odd identifiers', () => {
    const good = newSigningKey('ab'.repeat(32));
    const keys = parseGithubKeys({
      public_keys: [
        { key_identifier: good.identifier, key: good.pem, is_current: true },
        { key_identifier: 'p384', key: pemOf('ec', { namedCurve: 'P-384' }) },
        { key_identifier: 'rsa', key: pemOf('rsa', { modulusLength: 2048 }) },
        { key_identifier: 'broken', key: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' },
        { key_identifier: 'has spaces', key: good.pem },
        { key: good.pem },
        null,
      ],
    });
    assert.deepEqual(
      keys.map((k) => k.identifier),
      [good.identifier],
    );
    assert.throws(() => parseGithubKeys({ keys: [] }), /public_keys/);
  });

  test('an unreachable key server: keys-unavailable, with the reason reported', async () => {
    const reasons: string[] = [];
    const keys = createGithubKeys({ url: `http://127.0.0.1:${await closedPort()}/keys`, now: () => 0, onError: (r) => reasons.push(r) });
    const signing = newSigningKey('cd'.repeat(32));
    const headers = signAsGithub('[]', signing);
    assert.equal(await keys.check(Buffer.from('[]'), headers['github-public-key-identifier'], headers['github-public-key-signature']), 'keys-unavailable');
    assert.deepEqual(reasons, ['ECONNREFUSED']);
  });

  test('leaks.github.path may not overlap an API, the portal or the OAuth routes; unchecked while disabled', () => {
    const api = { name: 'orders', basePath: '/leaks', upstream: 'http://127.0.0.1:1' };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ apis: [api], leaks: { github: { enabled: true } } }, /leaks\.github\.path.*overlaps apis\.0\.basePath \/leaks/],
      [{ leaks: { github: { enabled: true, path: '/portal/github' } } }, /leaks\.github\.path.*overlaps portal\.path/],
      [{ leaks: { github: { enabled: true, path: '/oauth/leaks' } } }, /leaks\.github\.path.*overlaps the OAuth endpoints/],
    ];
    for (const [config, message] of cases) {
      assert.throws(
        () => validateConfig(config, 'test'),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    }
    assert.equal(validateConfig({ apis: [api] }, 'test').leaks.github.enabled, false);
    assert.equal(validateConfig({ leaks: { github: { enabled: true, path: '/portal/github' } }, portal: { enabled: false } }, 'test').leaks.policy, 'revoke');
    assert.throws(() => validateConfig({ leaks: { policy: 'delete' } }, 'test'), /leaks\.policy/);
  });
});
