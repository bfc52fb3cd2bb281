// The known attack classes on JWT validation (RFC 8725), each named and refused — by the jwt auth
// method with its denial code, and through the real gateway with 401 (never 5xx). A test IdP on
// 127.0.0.1 is trusted; a second server stands where jku/x5u point and must never be asked.
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { parseMasterKey } from '../../src/oauth/master-key.js';
import { registerOAuthRoutes } from '../../src/oauth/routes.js';
import { openPrivateKey } from '../../src/oauth/signing-keys/seal.js';
import { newTokenId } from '../../src/oauth/token-id.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { createOAuthHarness, ISSUER, type OAuthHarness } from '../oauth/helpers.js';
import { startTestIdp, type TestIdp } from '../oauth/idp.js';
import { b64url, encodeJson, signature, signJwt } from '../oauth/jwt-tools.js';

const AUDIENCE = 'https://api.example.com/orders';

interface Attack {
  name: string;
  token: () => string;
  /** The jwt method's denial code. */
  code: string;
  /** False when the gateway refuses the shape before the jwt method sees it (not a compact JWS). */
  reachesJwtMethod?: boolean;
}

describe('JWT attacks', () => {
  let h: OAuthHarness;
  let idp: TestIdp;
  let upstream: Upstream;
  let gateway: RunningGateway;
  let elsewhere: Server;
  let elsewhereUrl: string;
  let elsewhereRequests = 0;
  let dir: string;
  let client: any;
  let kid: string;
  let ourKey: KeyObject;
  let ourPublicPem: string;
  let ourPublicJwkText: string;
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const now = () => Math.floor(h.clock.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    sub: client.clientId,
    client_id: client.clientId,
    aud: AUDIENCE,
    scope: 'orders:read',
    iat: now(),
    exp: now() + 600,
    jti: newTokenId(h.clock.now()),
    ...extra,
  });
  const header = (extra: Record<string, unknown> = {}) => ({ alg: 'ES256', typ: 'at+jwt', kid, ...extra });
  /** Signed with our real signing key: only the named defect is wrong. */
  const ours = (payload: unknown = claims(), head: Record<string, unknown> = header()) => signJwt(head, payload, ourKey, 'ES256');
  const idpClaims = (extra: Record<string, unknown> = {}) => ({
    iss: idp.issuer,
    sub: 'svc-1',
    aud: AUDIENCE,
    scope: 'orders:read',
    iat: now(),
    exp: now() + 600,
    ...extra,
  });
  const unsigned = (head: Record<string, unknown>, payload: unknown, sig = '') => `${encodeJson(head)}.${encodeJson(payload)}.${sig}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-attacks-'));
    upstream = await startUpstream();
    idp = await startTestIdp();
    idp.addKey('ES256');
    elsewhere = createServer((_req, res) => {
      elsewhereRequests++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    h = await createOAuthHarness({
      config: {
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['jwt'], audience: AUDIENCE, scopes: ['orders:read'] }],
        trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'], jwksCooldown: '30s' }],
      },
    });
    const consumer = await h.createConsumer({ externalIds: ['svc-1'] });
    client = await h.createClient(consumer.id, { audiences: [AUDIENCE] });
    const [record] = await h.app.store.listSigningKeys();
    kid = record!.id;
    ourKey = openPrivateKey(parseMasterKey(h.app.config.oauth.masterKey!), kid, record!.privateKeySealed);
    ourPublicPem = String(createPublicKey({ key: record!.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
    ourPublicJwkText = JSON.stringify(record!.publicJwk);
    gateway = await startGateway({
      app: h.app,
      baseDir: dir,
      host: '127.0.0.1',
      port: 0,
      register: (server) => registerOAuthRoutes(server, { oauth: h.app.oauth }),
    });
  });

  after(async () => {
    await gateway?.close();
    await h?.close();
    await idp?.close();
    await upstream?.close();
    await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const throughGateway = async (token: string) => {
    const response = await fetch(`${gateway.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, challenge: response.headers.get('www-authenticate') };
  };

  test('control: a genuine token, hand-signed the same way, is accepted (200 through the gateway)', async () => {
    const outcome = await h.authenticate(ours(), { audience: AUDIENCE, scopes: ['orders:read'] });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal((await throughGateway(ours())).status, 200);
    assert.equal((await throughGateway(idp.sign(idpClaims()))).status, 200);
  });

  const attacks: Attack[] = [
    ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
      name: `alg ${alg}`,
      token: () => unsigned(header({ alg }), claims()),
      code: 'TOKEN_ALG_NOT_ALLOWED',
    })),
    { name: 'alg none with a signature', token: () => unsigned(header({ alg: 'none' }), claims(), b64url('sig')), code: 'TOKEN_ALG_NOT_ALLOWED' },
    { name: 'alg none for the trusted IdP', token: () => unsigned({ alg: 'none', kid: idp.keys[0]!.kid }, idpClaims()), code: 'TOKEN_ALG_NOT_ALLOWED' },
    { name: 'empty signature', token: () => unsigned(header(), claims()), code: 'TOKEN_SIGNATURE_INVALID' },
    {
      name: 'HS256 signed with our public key (PEM text)',
      token: () => signJwt(header({ alg: 'HS256' }), claims(), ourPublicPem, 'HS256'),
      code: 'TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'HS256 signed with our public key (JWK text)',
      token: () => signJwt(header({ alg: 'HS256' }), claims(), ourPublicJwkText, 'HS256'),
      code: 'TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'HS256 signed with the IdP public key (JWK text)',
      token: () => signJwt({ alg: 'HS256', kid: idp.keys[0]!.kid }, idpClaims(), JSON.stringify(idp.keys[0]!.publicJwk), 'HS256'),
      code: 'TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'embedded jwk (the attacker’s key in the header)',
      token: () => signJwt(header({ kid: undefined, jwk: attacker.publicKey.export({ format: 'jwk' }) }), claims(), attacker.privateKey, 'ES256'),
      code: 'TOKEN_HEADER_REFUSED',
    },
    {
      name: 'jku pointing elsewhere',
      token: () => signJwt(header({ jku: `${elsewhereUrl}/jwks.json` }), claims(), attacker.privateKey, 'ES256'),
      code: 'TOKEN_HEADER_REFUSED',
    },
    {
      name: 'x5u pointing elsewhere',
      token: () => signJwt(header({ x5u: `${elsewhereUrl}/cert.pem` }), claims(), attacker.privateKey, 'ES256'),
      code: 'TOKEN_HEADER_REFUSED',
    },
    {
      name: 'x5c with the attacker’s certificate chain',
      token: () => signJwt(header({ x5c: ['MIIB'] }), claims(), attacker.privateKey, 'ES256'),
      code: 'TOKEN_HEADER_REFUSED',
    },
    {
      name: 'jku for the trusted IdP',
      token: () => signJwt({ alg: 'ES256', kid: 'x', jku: `${elsewhereUrl}/jwks.json` }, idpClaims(), attacker.privateKey, 'ES256'),
      code: 'TOKEN_HEADER_REFUSED',
    },
    ...['../../../../../../dev/null', "' OR '1'='1", "sk_0'; DROP TABLE oauth_signing_keys; --", 'sk_0000000000000000000000', '%00', 'x'.repeat(200)].map(
      (badKid) => ({
        name: `kid ${JSON.stringify(badKid.slice(0, 40))}`,
        token: () => signJwt(header({ kid: badKid }), claims(), attacker.privateKey, 'ES256'),
        code: 'TOKEN_KEY_UNKNOWN',
      }),
    ),
    {
      name: 'ECDSA all-zero signature',
      token: () => `${encodeJson(header())}.${encodeJson(claims())}.${Buffer.alloc(64).toString('base64url')}`,
      code: 'TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'ECDSA truncated signature',
      token: () => {
        const valid = ours();
        return `${valid.split('.').slice(0, 2).join('.')}.${Buffer.from(valid.split('.')[2]!, 'base64url').subarray(0, 32).toString('base64url')}`;
      },
      code: 'TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'ECDSA signature in DER instead of raw r||s',
      token: () => {
        const input = `${encodeJson(header())}.${encodeJson(claims())}`;
        const der = sign('sha256', Buffer.from(input), ourKey);
        return `${input}.${der.toString('base64url')}`;
      },
      code: 'TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'tampered claims (scope raised, signature kept)',
      token: () => {
        const [h0, , s0] = ours().split('.');
        return `${h0}.${encodeJson(claims({ scope: 'orders:read orders:write admin' }))}.${s0}`;
      },
      code: 'TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'key↔algorithm binding: RS256 header with the kid of our ES256 key',
      token: () => signJwt(header({ alg: 'RS256' }), claims(), attackerRsa.privateKey, 'RS256'),
      code: 'TOKEN_ALG_NOT_ALLOWED',
    },
    { name: 'expired', token: () => ours(claims({ iat: now() - 700, exp: now() - 1 })), code: 'TOKEN_EXPIRED' },
    { name: 'nbf in the future (beyond the leeway)', token: () => ours(claims({ nbf: now() + 120 })), code: 'TOKEN_NOT_YET_VALID' },
    { name: 'iat in the future (beyond the leeway)', token: () => ours(claims({ iat: now() + 120, exp: now() + 700 })), code: 'TOKEN_ISSUED_IN_FUTURE' },
    { name: 'wrong aud', token: () => ours(claims({ aud: 'https://api.example.com/billing' })), code: 'TOKEN_AUDIENCE_MISMATCH' },
    { name: 'missing aud', token: () => ours(claims({ aud: undefined })), code: 'TOKEN_CLAIM_INVALID' },
    { name: 'aud as an object', token: () => ours(claims({ aud: { value: AUDIENCE } })), code: 'TOKEN_CLAIM_INVALID' },
    { name: 'wrong iss', token: () => ours(claims({ iss: 'https://evil.example' })), code: 'TOKEN_ISSUER_UNKNOWN' },
    { name: 'iss differing only by a trailing slash', token: () => ours(claims({ iss: `${ISSUER}/` })), code: 'TOKEN_ISSUER_UNKNOWN' },
    { name: 'missing iss', token: () => ours(claims({ iss: undefined })), code: 'TOKEN_ISSUER_UNKNOWN' },
    { name: 'missing exp', token: () => ours(claims({ exp: undefined })), code: 'TOKEN_CLAIM_INVALID' },
    { name: 'exp as a string', token: () => ours(claims({ exp: String(now() + 600) })), code: 'TOKEN_CLAIM_INVALID' },
    { name: 'crit header', token: () => ours(claims(), header({ crit: ['exp'] })), code: 'TOKEN_HEADER_REFUSED' },
    { name: 'crit b64=false (unencoded payload)', token: () => ours(claims(), header({ crit: ['b64'], b64: false })), code: 'TOKEN_HEADER_REFUSED' },
    {
      name: 'JWE compact serialization (5 parts)',
      token: () => `${encodeJson({ alg: 'dir', enc: 'A256GCM', kid })}..${b64url('iv')}.${b64url('ciphertext')}.${b64url('tag')}`,
      code: 'TOKEN_MALFORMED',
      reachesJwtMethod: false,
    },
    {
      name: 'JWS JSON serialization (flattened)',
      token: () => {
        const [p, pl, s] = ours().split('.');
        return JSON.stringify({ protected: p, payload: pl, signature: s });
      },
      code: 'TOKEN_MALFORMED',
      reachesJwtMethod: false,
    },
    {
      name: 'JWS JSON serialization (general)',
      token: () => {
        const [p, pl, s] = ours().split('.');
        return JSON.stringify({ payload: pl, signatures: [{ protected: p, signature: s }] });
      },
      code: 'TOKEN_MALFORMED',
      reachesJwtMethod: false,
    },
    { name: 'type confusion: typ JWT on our token', token: () => ours(claims(), header({ typ: 'JWT' })), code: 'TOKEN_TYPE_INVALID' },
    { name: 'type confusion: no typ on our token', token: () => ours(claims(), header({ typ: undefined })), code: 'TOKEN_TYPE_INVALID' },
    { name: 'sub not the client (client_id kept)', token: () => ours(claims({ sub: 'cli_someoneelse000000000000' })), code: 'TOKEN_CLAIM_INVALID' },
    {
      name: 'the IdP key used for our issuer (IdP kid)',
      token: () => idp.sign(claims(), { header: { typ: 'at+jwt' } }),
      code: 'TOKEN_KEY_UNKNOWN',
    },
    {
      name: 'the IdP key used for our issuer (our kid)',
      token: () => idp.sign(claims(), { header: { typ: 'at+jwt', kid } }),
      code: 'TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'our key used for the IdP issuer',
      token: () => signJwt({ alg: 'ES256', typ: 'JWT', kid }, idpClaims(), ourKey, 'ES256'),
      code: 'TOKEN_KEY_UNKNOWN',
    },
    {
      name: 'our key used for the IdP issuer with the IdP’s kid',
      token: () => signJwt({ alg: 'ES256', typ: 'JWT', kid: idp.keys[0]!.kid }, idpClaims(), ourKey, 'ES256'),
      code: 'TOKEN_SIGNATURE_INVALID',
    },
    { name: 'oversize token (10 KB)', token: () => ours(claims({ padding: 'x'.repeat(10_000) })), code: 'TOKEN_TOO_LARGE' },
    { name: 'header that is not JSON', token: () => `${b64url('not json')}.${encodeJson(claims())}.${b64url('sig')}`, code: 'TOKEN_MALFORMED' },
    { name: 'payload that is a JSON array', token: () => `${encodeJson(header())}.${encodeJson([1, 2])}.${b64url('sig')}`, code: 'TOKEN_MALFORMED' },
  ];

  for (const attack of attacks) {
    test(`refuses: ${attack.name}`, async () => {
      const token = attack.token();
      const outcome = await h.authenticate(token, { audience: AUDIENCE, scopes: ['orders:read'] });
      assert.equal(outcome.ok, false, 'must be refused');
      if (!outcome.ok) {
        assert.equal(outcome.code, attack.code);
        assert.equal(outcome.status, 401);
        assert.ok(!outcome.description.includes(token.slice(0, 30)), 'the description never echoes the token');
      }
      const response = await throughGateway(token);
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.match(String(response.challenge), /^Bearer /);
      if (attack.reachesJwtMethod !== false) assert.equal(response.body.reason, attack.code);
    });
  }

  test('signature before claims: an expired token with a bad signature is refused for its signature', async () => {
    const expired = ours(claims({ iat: now() - 700, exp: now() - 1 }));
    const [h0, p0, s0] = expired.split('.');
    const forged = `${h0}.${p0}.${s0!.slice(0, -4)}AAAA`;
    const outcome = await h.authenticate(forged);
    assert.equal(!outcome.ok && outcome.code, 'TOKEN_SIGNATURE_INVALID');
    const wrongIssuerAndSignature = `${encodeJson(header())}.${encodeJson(claims({ aud: 'x', exp: 'soon' }))}.${s0}`;
    const second = await h.authenticate(wrongIssuerAndSignature);
    assert.equal(!second.ok && second.code, 'TOKEN_SIGNATURE_INVALID');
  });

  test('no request ever went where jku/x5u pointed', () => {
    assert.equal(elsewhereRequests, 0);
  });

  test('the flood of unknown kids for our issuer did not reach the IdP, and the store is intact', async () => {
    assert.equal(Object.keys(idp.requests).filter((p) => p !== '/jwks.json').length, 0);
    assert.equal((await h.app.store.listSigningKeys()).length, 1);
    assert.equal((await throughGateway(ours())).status, 200);
  });

  test('HMAC over our public key would be a valid MAC: the allowlist, not luck, refuses it', () => {
    const input = `${encodeJson(header({ alg: 'HS256' }))}.${encodeJson(claims())}`;
    assert.equal(signature('HS256', ourPublicPem, input).length, 32);
    assert.ok(createHmac('sha256', ourPublicPem).update(input).digest().length > 0);
  });
});
