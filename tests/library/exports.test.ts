// Every entry point in package.json `exports` resolves (through the package's own name, as a user's
// import would) and offers what the README shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const expected: Record<string, string[]> = {
  portcullis: ['createAuthenticator', 'createInProcessVerifier', 'createRemoteVerifier'],
  'portcullis/fastify': ['portcullis', 'portcullisAuth', 'createInProcessVerifier', 'createRemoteVerifier'],
  'portcullis/express': ['portcullisAuth', 'createInProcessVerifier', 'createRemoteVerifier'],
  'portcullis/hono': ['portcullisAuth', 'createInProcessVerifier', 'createRemoteVerifier'],
  'portcullis/client': ['createTokenClient', 'createClientAssertion', 'TokenRequestError'],
  'portcullis/admin': ['createAdminClient', 'AdminApiError'],
};

for (const [specifier, names] of Object.entries(expected)) {
  test(`${specifier} resolves and exports ${names.join(', ')}`, async () => {
    const module = (await import(specifier)) as Record<string, unknown>;
    for (const name of names) assert.equal(typeof module[name], 'function', `${specifier} exports ${name}`);
  });
}

test("portcullis: createAuthenticator admits a valid key and refuses a missing one, with the gateway's 401", async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createAuthenticator } = (await import('portcullis')) as typeof import('../../src/index.js');
  const { createApp } = await import('../../src/app.js');
  const { validateConfig } = await import('../../src/config/load.js');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-root-'));
  const store = `sqlite:${join(dir, 'p.db')}`;
  const app = await createApp({ config: validateConfig({ store }, 'test') });
  try {
    const consumer = await app.consumers.create({ name: 'root', scopes: ['orders:read'] }, { id: 'test', sourceIp: null });
    const { key } = await app.keys.create(consumer.id, {}, { id: 'test', sourceIp: null });
    const auth = createAuthenticator({ store, scopes: ['orders:read'] });
    try {
      const admitted = await auth.authenticate((name) => (name === 'authorization' ? `Bearer ${key}` : undefined));
      assert.equal(admitted.ok, true);
      assert.equal(admitted.ok && admitted.identity.consumerId, consumer.id);
      const refused = await auth.authenticate(() => undefined);
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.status, 401);
      assert.match(!refused.ok ? refused.headers['www-authenticate']! : '', /^Bearer realm=/);
    } finally {
      await auth.verifier.close();
    }
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
