// private_key_jwt (RFC 7523): assertions signed with a registered key, aud = issuer or token
// endpoint, short-lived, each jti used once; everything else is the same invalid_client.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { JWT_BEARER_ASSERTION } from '../../src/oauth/clients/credentials.js';
import { basic, createOAuthHarness, ISSUER, type OAuthHarness } from './helpers.js';
import { signJwt } from './jwt-tools.js';

describe('private_key_jwt', () => {
  let h: OAuthHarness;
  let consumer: any;
  let client: any;
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');

  before(async () => {
    h = await createOAuthHarness();
    consumer = await h.createConsumer();
    client = await h.createClient(consumer.id, {
      authMethod: 'private_key_jwt',
      jwks: {
        keys: [
          { ...key.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' },
          { ...ed.publicKey.export({ format: 'jwk' }), kid: 'k2' },
        ],
      },
    });
  });
  after(async () => h?.close());

  const now = () => Math.floor(h.clock.now() / 1000);
  const assertion = (claims: Record<string, unknown> = {}, options: { kid?: string; signer?: typeof key; alg?: 'ES256' | 'EdDSA' } = {}) =>
    signJwt(
      { alg: options.alg ?? 'ES256', kid: options.kid ?? 'k1' },
      { iss: client.clientId, sub: client.clientId, aud: ISSUER, iat: now(), exp: now() + 60, jti: randomUUID(), ...claims },
      (options.signer ?? key).privateKey,
      options.alg ?? 'ES256',
    );
  const request = (token: string, extra: Record<string, string> = {}, headers?: Record<string, string>) =>
    h.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: token, ...extra }, headers);

  test('an assertion for the issuer or the token endpoint gets a token; client_id may be sent too', async () => {
    assert.equal((await request(assertion())).status, 200);
    assert.equal((await request(assertion({ aud: `${ISSUER}/oauth/token` }))).status, 200);
    assert.equal((await request(assertion({ aud: [ISSUER] }), { client_id: client.clientId })).status, 200);
    assert.equal((await request(assertion({}, { kid: 'k2', signer: ed, alg: 'EdDSA' }))).status, 200);
  });

  test('a replayed assertion is refused', async () => {
    const once = assertion();
    assert.equal((await request(once)).status, 200);
    const replay = await request(once);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error, 'invalid_client');
  });

  const refused: Array<[string, () => string, Record<string, string>?]> = [
    ['aud of someone else', () => assertion({ aud: 'https://other.example' })],
    ['no aud', () => assertion({ aud: undefined })],
    ['an assertion that lives too long', () => assertion({ exp: now() + 3600 })],
    ['an expired assertion (beyond the leeway)', () => assertion({ exp: now() - 61, iat: now() - 120 })],
    ['no jti', () => assertion({ jti: undefined })],
    ['iss ≠ sub', () => assertion({ sub: 'cli_other0000000000000000' })],
    ['signed with a key the client did not register', () => assertion({}, { signer: stranger })],
    ['an unknown kid', () => assertion({}, { kid: 'nope' })],
    [
      'HS256 with the registered public key as secret',
      () =>
        signJwt(
          { alg: 'HS256', kid: 'k1' },
          { iss: client.clientId, sub: client.clientId, aud: ISSUER, exp: now() + 60, jti: randomUUID() },
          JSON.stringify(key.publicKey.export({ format: 'jwk' })),
          'HS256',
        ),
    ],
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: client.clientId, sub: client.clientId, aud: ISSUER, exp: now() + 60, jti: 'x' })).toString('base64url')}.`,
    ],
    [
      'a jwk header',
      () =>
        signJwt(
          { alg: 'ES256', jwk: stranger.publicKey.export({ format: 'jwk' }) },
          { iss: client.clientId, sub: client.clientId, aud: ISSUER, exp: now() + 60, jti: randomUUID() },
          stranger.privateKey,
          'ES256',
        ),
    ],
    ['a client_id that is not the assertion’s', () => assertion(), { client_id: 'cli_other0000000000000000' }],
    ['garbage', () => 'not.a.jwt'],
  ];
  for (const [name, make, extra] of refused) {
    test(`refused: ${name}`, async () => {
      const response = await request(make(), extra ?? {});
      assert.equal(response.status, 401, response.text);
      assert.equal(response.body.error, 'invalid_client');
    });
  }

  test('an assertion and a secret together are two mechanisms (invalid_request)', async () => {
    const response = await request(assertion(), { client_id: client.clientId, client_secret: 'x' });
    assert.equal(response.body.error, 'invalid_request');
    const withBasic = await request(assertion(), {}, { authorization: basic(client.clientId, 'x') });
    assert.equal(withBasic.body.error, 'invalid_request');
  });

  test('a secret client cannot use an assertion, a private_key_jwt client cannot use a secret', async () => {
    // Past the failed-authentication counts of the cases above: the window slides, so a full
    // window's failures weigh on the next window too and are gone only after two.
    h.clock.advance(121_000);
    const secretClient = await h.createClient(consumer.id);
    const forSecretClient = signJwt(
      { alg: 'ES256', kid: 'k1' },
      { iss: secretClient.clientId, sub: secretClient.clientId, aud: ISSUER, exp: now() + 60, jti: randomUUID() },
      key.privateKey,
      'ES256',
    );
    assert.equal((await request(forSecretClient)).status, 401);
    const asBasic = await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, 'pcs_anything') });
    assert.equal(asBasic.status, 401);
  });

  test('registration: jwks required, public keys only', async () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'INVALID_JWKS'],
      [{ keys: [{ ...key.privateKey.export({ format: 'jwk' }), kid: 'p' }] }, 'INVALID_JWKS'],
      [{ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] }, 'INVALID_JWKS'],
      [{ keys: [{ kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad' }] }, 'INVALID_JWKS'],
      [{ keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) }] }, 'INVALID_JWKS'],
    ];
    for (const [jwks, code] of cases) {
      const response = await h.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, { authMethod: 'private_key_jwt', ...(jwks ? { jwks } : {}) });
      assert.equal(response.status, 400, JSON.stringify(jwks));
      assert.equal(response.body.code, code);
    }
    const secretWithJwks = await h.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, { jwks: { keys: [key.publicKey.export({ format: 'jwk' })] } });
    assert.equal(secretWithJwks.body.code, 'VALIDATION_FAILED');
  });

  test('PATCH replaces the JWK Set, checked as at creation: a key no longer in it is refused at once, the new one works', async () => {
    h.clock.advance(121_000);
    const replacement = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // A token with the old key first, so the client is in every cache when its keys change.
    assert.equal((await request(assertion())).status, 200);
    for (const [jwks, code] of [
      [null, 'INVALID_JWKS'],
      [{ keys: [{ ...replacement.privateKey.export({ format: 'jwk' }), kid: 'k3' }] }, 'INVALID_JWKS'],
      [{ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] }, 'INVALID_JWKS'],
      [{ keys: [] }, 'VALIDATION_FAILED'],
    ] as const) {
      const refused = await h.call('PATCH', `/admin/v1/clients/${client.clientId}`, { jwks });
      assert.equal(refused.body.code, code, JSON.stringify(jwks));
    }
    assert.equal((await request(assertion())).status, 200, 'a refused replacement changed nothing');

    const replaced = await h.call('PATCH', `/admin/v1/clients/${client.clientId}`, {
      jwks: { keys: [{ ...replacement.publicKey.export({ format: 'jwk' }), kid: 'k3' }] },
    });
    assert.equal(replaced.status, 200);
    assert.deepEqual(
      replaced.body.jwks.keys.map((k: { kid: string }) => k.kid),
      ['k3'],
    );
    const old = await request(assertion());
    assert.equal(old.status, 401, 'the old key, cached a moment ago, is refused at once');
    assert.equal(old.body.error, 'invalid_client');
    assert.equal((await request(assertion({}, { kid: 'k2', signer: ed, alg: 'EdDSA' }))).status, 401);
    assert.equal((await request(assertion({}, { kid: 'k3', signer: replacement }))).status, 200);
    // A secret client has no JWK Set to replace.
    const secretClient = await h.createClient(consumer.id);
    const onSecret = await h.call('PATCH', `/admin/v1/clients/${secretClient.clientId}`, { jwks: { keys: [replacement.publicKey.export({ format: 'jwk' })] } });
    assert.equal(onSecret.body.code, 'VALIDATION_FAILED');
  });
});
