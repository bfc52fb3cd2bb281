// A cached verdict holds only while what made it true holds: at every instant, a token answered from
// the verified-token cache gets the answer a fresh verification would give — a trusted issuer's
// maxTokenAge, nbf (and iat) with their leeway, exp — and a cached API key stops at its expiry.
// All on the injected clock.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTokenEvaluator } from '../../src/oauth/jwt/evaluate-token.js';
import { createTokenCache } from '../../src/oauth/jwt/token-cache.js';
import { createOAuthHarness, type OAuthHarness } from '../oauth/helpers.js';
import { startTestIdp, type TestIdp } from '../oauth/idp.js';

const AUDIENCE = 'https://api.example.com';
const HOUR = 3600_000;

describe('cached verdicts carry the instants they start and stop being true', () => {
  let idp: TestIdp;
  let h: OAuthHarness;

  before(async () => {
    idp = await startTestIdp();
    idp.addKey('ES256');
    h = await createOAuthHarness({
      config: {
        trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'], maxTokenAge: '1h', clockToleranceSeconds: 30 }],
      },
    });
    await h.createConsumer({ externalIds: ['svc-time'], scopes: ['orders:read'] });
  });
  after(async () => {
    await h?.close();
    await idp?.close();
  });

  /** The verdict of the app's evaluator (its cache included) and of one without a cache, now. */
  async function verdicts(token: string): Promise<{ cached: string; fresh: string }> {
    const { oauth } = h.app;
    const uncached = createTokenEvaluator({
      verify: oauth.verifyAccessToken,
      cache: createTokenCache({ maxEntries: 0 }),
      revocations: oauth.revocations,
      principals: oauth.principals,
      clock: h.clock,
    });
    const name = (r: { ok: boolean; code?: string }) => (r.ok ? 'OK' : r.code!);
    const cached = name(await h.authenticate(token, { audience: AUDIENCE }));
    const fresh = name((await uncached(token)) as { ok: boolean; code?: string });
    return { cached, fresh };
  }

  test('a trusted issuer’s token stops at maxTokenAge (+ leeway), though still cached and before its exp', async () => {
    const t0 = h.clock.now();
    const iat = Math.floor(t0 / 1000);
    const token = idp.sign({ iss: idp.issuer, sub: 'svc-time', aud: AUDIENCE, iat, exp: iat + 3 * 3600, jti: randomUUID() });
    assert.deepEqual(await verdicts(token), { cached: 'OK', fresh: 'OK' });
    assert.ok(h.app.oauth.tokenCache.size > 0);

    h.clock.set(iat * 1000 + HOUR + 30_000); // the last second maxTokenAge + leeway allows
    assert.deepEqual(await verdicts(token), { cached: 'OK', fresh: 'OK' });
    h.clock.set(iat * 1000 + HOUR + 31_000);
    assert.deepEqual(await verdicts(token), { cached: 'TOKEN_TOO_OLD', fresh: 'TOKEN_TOO_OLD' });
    h.clock.set(t0);
  });

  test('nbf and iat: a token accepted within the leeway is refused if the clock is set back before it', async () => {
    const t0 = h.clock.now();
    const now = Math.floor(t0 / 1000);
    const token = idp.sign({ iss: idp.issuer, sub: 'svc-time', aud: AUDIENCE, iat: now, nbf: now + 20, exp: now + 600, jti: randomUUID() });
    assert.deepEqual(await verdicts(token), { cached: 'OK', fresh: 'OK' }, 'nbf is 20 s ahead, within the 30 s leeway');
    h.clock.set((now - 11) * 1000); // e.g. an NTP step back: nbf is now 31 s ahead
    assert.deepEqual(await verdicts(token), { cached: 'TOKEN_NOT_YET_VALID', fresh: 'TOKEN_NOT_YET_VALID' });
    h.clock.set((now - 10) * 1000);
    assert.deepEqual(await verdicts(token), { cached: 'OK', fresh: 'OK' });
    h.clock.set(t0);
  });

  test('exp: a cached token is refused from its exp on', async () => {
    const t0 = h.clock.now();
    const now = Math.floor(t0 / 1000);
    const token = idp.sign({ iss: idp.issuer, sub: 'svc-time', aud: AUDIENCE, iat: now, exp: now + 60, jti: randomUUID() });
    assert.equal((await verdicts(token)).cached, 'OK');
    h.clock.set((now + 60) * 1000 - 1);
    assert.equal((await verdicts(token)).cached, 'OK');
    h.clock.set((now + 60) * 1000);
    assert.equal((await verdicts(token)).cached, 'TOKEN_EXPIRED');
    h.clock.set(t0);
  });

  test('our own tokens: cached and fresh agree until and after exp', async () => {
    const client = await h.createClient((await h.createConsumer()).id, { tokenTtlSeconds: 120, audiences: [AUDIENCE] });
    const t0 = h.clock.now();
    const token = await h.tokenFor(client);
    for (const offset of [0, 60_000, 119_999, 120_000, 200_000]) {
      h.clock.set(Math.floor(t0 / 1000) * 1000 + offset);
      const { cached, fresh } = await verdicts(token);
      assert.equal(cached, fresh, `at +${offset} ms`);
    }
    h.clock.set(t0);
  });

  test('a cached API key stops at its expiry', async () => {
    const consumer = await h.createConsumer();
    const created = await h.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { expiresAt: new Date(h.clock.now() + 60_000).toISOString() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await h.app.verifyKey(created.body.key)).code, 'VALID');
    h.clock.advance(59_999);
    assert.equal((await h.app.verifyKey(created.body.key)).code, 'VALID');
    h.clock.advance(1);
    assert.equal((await h.app.verifyKey(created.body.key)).code, 'EXPIRED');
  });
});
