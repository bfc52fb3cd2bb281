// Every signing algorithm we offer (ES256 default, EdDSA, RS256) makes tokens an independent
// verifier accepts; switching oauth.signingAlg takes effect at the next rotation while older keys
// keep verifying.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createApp } from '../../src/app.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { testLogger } from '../helpers/logs.js';
import { createOAuthHarness, ISSUER } from './helpers.js';

for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
  test(`${alg}: tokens verify against the JWKS and at the gateway's jwt method`, async () => {
    const h = await createOAuthHarness({ oauth: { signingAlg: alg } });
    try {
      const client = await h.createClient((await h.createConsumer()).id);
      const token = await h.tokenFor(client);
      assert.equal(decodeProtectedHeader(token).alg, alg);
      const jwks = (await h.get('/.well-known/jwks.json')).body;
      assert.equal(jwks.keys[0].alg, alg);
      assert.equal(jwks.keys[0].d, undefined, 'no private part in the JWKS');
      await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, typ: 'at+jwt', algorithms: [alg], currentDate: new Date(h.clock.now()) });
      assert.equal((await h.authenticate(token)).ok, true);
    } finally {
      await h.close();
    }
  });
}

test('changing signingAlg: the next key uses it, tokens of the old key keep working', async () => {
  const h = await createOAuthHarness();
  try {
    const client = await h.createClient((await h.createConsumer()).id);
    const old = await h.tokenFor(client);
    const config = { ...h.app.config, oauth: { ...h.app.config.oauth, signingAlg: 'EdDSA' as const } };
    const b = await createApp({ config, clock: h.clock, store: openSqliteStore(h.sqlitePath!), logger: testLogger() });
    try {
      await b.oauth.ring.rotate({ immediate: false }, { id: 'test', sourceIp: null });
      h.clock.advance(5 * 60_000);
      await h.app.oauth.ring.load();
      const next = await h.tokenFor(client);
      assert.equal(decodeProtectedHeader(next).alg, 'EdDSA');
      assert.equal((await b.authMethods.get('jwt')!.authenticate(old, { scopes: [] })).ok, true);
      assert.equal((await b.authMethods.get('jwt')!.authenticate(next, { scopes: [] })).ok, true);
    } finally {
      await b.close();
    }
  } finally {
    await h.close();
  }
});
