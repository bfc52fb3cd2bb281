// Trusted external IdPs: tokens validated against the IdP's JWKS (a local test server), mapped to a
// consumer by externalIds; cached keys survive the IdP going down; unknown kids cause at most one
// refetch per cooldown.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createOAuthHarness, type OAuthHarness } from './helpers.js';
import { startTestIdp, type TestIdp } from './idp.js';

const AUDIENCE = 'https://api.example.com';

describe('trusted external issuer', () => {
  let idp: TestIdp;
  let h: OAuthHarness;
  let consumer: any;

  before(async () => {
    idp = await startTestIdp();
    idp.addKey('ES256');
    idp.addKey('RS256');
    h = await createOAuthHarness({
      config: {
        trustedIssuers: [
          {
            issuer: idp.issuer,
            jwksUri: idp.jwksUri,
            audience: AUDIENCE,
            algorithms: ['ES256', 'RS256'],
            consumerClaim: 'sub',
            jwksCacheMaxAge: '10m',
            jwksCooldown: '30s',
            jwksTimeout: '300ms',
          },
        ],
      },
    });
    consumer = await h.createConsumer({
      name: 'idp-consumer',
      externalIds: ['svc-42@clients'],
      scopes: ['orders:read', 'orders:write'],
      metadata: { plan: 'pro' },
    });
  });
  after(async () => {
    await h?.close();
    await idp?.close();
  });

  const claims = (extra: Record<string, unknown> = {}) => {
    const now = Math.floor(h.clock.now() / 1000);
    return {
      iss: idp.issuer,
      sub: 'svc-42@clients',
      aud: [AUDIENCE],
      azp: 'auth0-client-id',
      iat: now,
      exp: now + 3600,
      scope: 'orders:read',
      jti: randomUUID(),
      ...extra,
    };
  };

  test('an IdP token is accepted and mapped to the consumer by externalIds', async () => {
    for (const key of idp.keys) {
      const outcome = await h.authenticate(idp.sign(claims(), { key }), { scopes: ['orders:read'], audience: AUDIENCE });
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      if (outcome.ok) {
        assert.equal(outcome.identity.consumerId, consumer.id);
        assert.deepEqual(outcome.identity.metadata, { plan: 'pro' });
        assert.deepEqual(outcome.identity.scopes, ['orders:read']);
        assert.equal(outcome.identity.credential.type, 'jwt');
        assert.equal((outcome.identity.credential as { issuer: string }).issuer, idp.issuer);
        assert.equal((outcome.identity.credential as { clientId: string }).clientId, 'auth0-client-id');
      }
    }
  });

  test('scopes come from scope or scp, limited to the consumer’s', async () => {
    const outcome = await h.authenticate(idp.sign(claims({ scope: undefined, scp: ['orders:read', 'admin:all'] })));
    assert.equal(outcome.ok && outcome.identity.scopes.join(' '), 'orders:read');
  });

  test('an unmapped subject, a disabled consumer, a wrong audience are refused', async () => {
    let outcome = await h.authenticate(idp.sign(claims({ sub: 'stranger' })));
    assert.equal(!outcome.ok && outcome.code, 'CONSUMER_UNKNOWN');
    outcome = await h.authenticate(idp.sign(claims({ aud: 'https://other.example' })));
    assert.equal(!outcome.ok && outcome.code, 'TOKEN_AUDIENCE_MISMATCH');
    const other = await h.createConsumer({ externalIds: ['svc-off'] });
    await h.call('PATCH', `/admin/v1/consumers/${other.id}`, { enabled: false });
    outcome = await h.authenticate(idp.sign(claims({ sub: 'svc-off' })));
    assert.equal(!outcome.ok && outcome.code, 'CONSUMER_DISABLED');
  });

  test('adding an external id to a consumer takes effect at once (no stale negative cache)', async () => {
    const token = idp.sign(claims({ sub: 'late-mapping' }));
    assert.equal((await h.authenticate(token)).ok, false);
    const late = await h.createConsumer();
    await h.call('PATCH', `/admin/v1/consumers/${late.id}`, { externalIds: ['late-mapping'] });
    const outcome = await h.authenticate(token);
    assert.equal(outcome.ok && outcome.identity.consumerId, late.id);
  });

  test('a flood of random kids causes at most one JWKS refetch per cooldown', async () => {
    h.clock.advance(31_000); // out of any earlier cooldown
    const before = idp.requests['/jwks.json'] ?? 0;
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => h.authenticate(idp.sign(claims(), { header: { kid: randomUUID() } }))));
    assert.ok(outcomes.every((o) => !o.ok && o.code === 'TOKEN_KEY_UNKNOWN'));
    for (let i = 0; i < 50; i++) await h.authenticate(idp.sign(claims(), { header: { kid: randomUUID() } }));
    assert.equal((idp.requests['/jwks.json'] ?? 0) - before, 1);
    h.clock.advance(31_000);
    await h.authenticate(idp.sign(claims(), { header: { kid: randomUUID() } }));
    assert.equal((idp.requests['/jwks.json'] ?? 0) - before, 2, 'one more after the cooldown');
  });

  test('a key the IdP adds is found after the cooldown (rotation at the IdP)', async () => {
    h.clock.advance(31_000);
    const added = idp.addKey('ES256');
    const outcome = await h.authenticate(idp.sign(claims(), { key: added }));
    assert.equal(outcome.ok, true);
  });

  test('JWKS server failing or hanging: cached keys still validate, even past their max age', async () => {
    idp.mode = 'error';
    try {
      h.clock.advance(11 * 60_000); // the cached set is stale: a refetch is tried and fails
      let outcome = await h.authenticate(idp.sign(claims()));
      assert.equal(outcome.ok, true);
      idp.mode = 'hang';
      h.clock.advance(31_000);
      outcome = await h.authenticate(idp.sign(claims()));
      assert.equal(outcome.ok, true);
    } finally {
      idp.mode = 'ok';
    }
  });
});

describe('trusted issuer unreachable from the start', () => {
  test('no cached keys and the JWKS cannot be fetched: 503 JWKS_UNAVAILABLE (fails closed), then recovers', async () => {
    const idp = await startTestIdp();
    idp.addKey('ES256');
    idp.mode = 'hang';
    const h = await createOAuthHarness({
      config: {
        trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'], jwksTimeout: '200ms', jwksCooldown: '10s' }],
      },
    });
    try {
      await h.createConsumer({ externalIds: ['svc'] });
      const now = Math.floor(h.clock.now() / 1000);
      const token = idp.sign({ iss: idp.issuer, sub: 'svc', aud: AUDIENCE, iat: now, exp: now + 600 });
      let outcome = await h.authenticate(token);
      assert.equal(outcome.ok, false);
      if (!outcome.ok) {
        assert.equal(outcome.status, 503);
        assert.equal(outcome.code, 'JWKS_UNAVAILABLE');
      }
      idp.mode = 'ok';
      outcome = await h.authenticate(token);
      assert.equal(!outcome.ok && outcome.code, 'JWKS_UNAVAILABLE', 'within the cooldown no new fetch is made');
      h.clock.advance(10_000);
      outcome = await h.authenticate(token);
      assert.equal(outcome.ok, true);
    } finally {
      await h.close();
      await idp.close();
    }
  });

  test('externalIdPrefix keeps one IdP’s subjects apart from another’s', async () => {
    const idp = await startTestIdp();
    idp.addKey('EdDSA');
    const h = await createOAuthHarness({
      config: {
        trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: [AUDIENCE], algorithms: ['EdDSA'], externalIdPrefix: 'kc|' }],
      },
    });
    try {
      const plain = await h.createConsumer({ externalIds: ['svc'] });
      const prefixed = await h.createConsumer({ externalIds: ['kc|svc'] });
      void plain;
      const now = Math.floor(h.clock.now() / 1000);
      const outcome = await h.authenticate(idp.sign({ iss: idp.issuer, sub: 'svc', aud: AUDIENCE, iat: now, exp: now + 600 }));
      assert.equal(outcome.ok && outcome.identity.consumerId, prefixed.id);
    } finally {
      await h.close();
      await idp.close();
    }
  });
});
