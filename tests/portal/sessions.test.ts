// Portal accounts and sessions over the portal API (Fastify inject, real SQLite, manual clock):
// invitation → accept → sign in, the cookie's attributes, rotation at sign-in, idle and absolute
// timeouts, revocation at sign-out and password change, one-time links, identical answers for
// unknown emails, throttling per account and per address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { passwordChecks } from '../../src/members/password.js';
import { storeAdapters } from '../helpers/stores.js';
import { createPortalHarness, member, PASSWORD, type PortalHarness } from './helpers.js';

for (const adapter of storeAdapters)
  describe(`portal sessions (${adapter.name})`, { skip: adapter.skip }, () => {
    let h: PortalHarness;
    before(async () => {
      h = await createPortalHarness({ adapter });
    });
    after(async () => h?.close());

    test('an invitation is accepted once; the member signs in, reads me, signs out', async () => {
      const { consumer, browser, session } = await member(h, 'acme', 'Ada@Acme.example');
      assert.deepEqual(session.membership, { consumerId: consumer.id, consumerName: 'acme', role: 'owner' });
      assert.equal(session.user.role, null);
      assert.match(session.csrfToken, /^[A-Za-z0-9_-]{43}$/);

      const me = await browser.request('GET', 'me');
      assert.equal(me.status, 200);
      assert.equal(me.body.user.email, 'Ada@Acme.example');

      // The same link again: used.
      const again = await h.browser().request('POST', 'invitations/accept', { token: await h.tokenFromOutbox('Ada@Acme.example'), password: PASSWORD });
      assert.equal(again.status, 400);
      assert.equal(again.body.code, 'LINK_NOT_VALID');

      // Email in another case is the same account.
      const other = h.browser();
      assert.equal((await other.signIn('ada@acme.EXAMPLE')).status, 200);

      const out = await browser.request('DELETE', 'session');
      assert.equal(out.status, 204);
      assert.equal((await browser.request('GET', 'me')).body.code, 'SESSION_REQUIRED');
      // Only that session ended.
      assert.equal((await other.request('GET', 'me')).status, 200);
    });

    test('the cookie is __Host-, HttpOnly, Secure, SameSite=Lax, Path=/ and changes at every sign-in', async () => {
      await member(h, 'cookies', 'cookie@example.com');
      const b = h.browser();
      const first = await b.signIn('cookie@example.com');
      const set = first.cookies.find((c) => c.name === '__Host-portcullis_session')!;
      assert.ok(set, JSON.stringify(first.cookies));
      assert.equal(set.httpOnly, true);
      assert.equal(set.secure, true);
      assert.equal(set.sameSite, 'Lax');
      assert.equal(set.path, '/');
      assert.equal(set.domain, undefined);
      const before = b.cookie!;
      // Signing in again with the old cookie: a new session id, the old one ended.
      await b.signIn('cookie@example.com');
      assert.notEqual(b.cookie, before);
      assert.equal((await h.browser().request('GET', 'me', undefined, { cookie: before })).status, 401);
      assert.equal((await b.request('GET', 'me')).status, 200);
    });

    test('idle and absolute timeouts end a session (injected clock)', async () => {
      await member(h, 'timeouts', 'time@example.com');
      const b = h.browser();
      await b.signIn('time@example.com');
      // Active every 20 minutes (idle timeout 30m) until the absolute end at 12h.
      for (let i = 0; i < 35; i++) {
        h.clock.advance(20 * 60_000);
        assert.equal((await b.request('GET', 'me')).status, 200, `after ${(i + 1) * 20} minutes`);
      }
      h.clock.advance(20 * 60_000);
      assert.equal((await b.request('GET', 'me')).body.code, 'SESSION_REQUIRED', 'past sessionMaxAge');

      await b.signIn('time@example.com');
      h.clock.advance(29 * 60_000);
      assert.equal((await b.request('GET', 'me')).status, 200);
      h.clock.advance(30 * 60_000);
      assert.equal((await b.request('GET', 'me')).body.code, 'SESSION_REQUIRED', 'idle past sessionIdleTimeout');
    });

    test('a password change ends every session of the account and starts a new one here', async () => {
      const { browser } = await member(h, 'change', 'change@example.com');
      const other = h.browser();
      await other.signIn('change@example.com');
      const wrong = await browser.request('POST', 'password', { currentPassword: 'not the password', newPassword: 'another long password' });
      assert.equal(wrong.body.code, 'PASSWORD_WRONG');
      const short = await browser.request('POST', 'password', { currentPassword: PASSWORD, newPassword: 'short' });
      assert.equal(short.body.code, 'PASSWORD_NOT_ACCEPTED');
      const before = browser.cookie;
      const changed = await browser.request('POST', 'password', { currentPassword: PASSWORD, newPassword: 'another long password' });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.notEqual(browser.cookie, before);
      assert.equal((await browser.request('GET', 'me')).status, 200);
      assert.equal((await other.request('GET', 'me')).status, 401);
      assert.equal((await h.browser().signIn('change@example.com')).status, 401);
      assert.equal((await h.browser().signIn('change@example.com', 'another long password')).status, 200);
    });

    test('password reset: the same answer for unknown emails, a single-use link for 1 hour, every session ends', async () => {
      await member(h, 'reset', 'reset@example.com');
      const signedIn = h.browser();
      await signedIn.signIn('reset@example.com');
      const known = await h.browser().request('POST', 'password-reset', { email: 'reset@example.com' });
      const unknown = await h.browser().request('POST', 'password-reset', { email: 'nobody@example.com' });
      assert.deepEqual([known.status, known.body], [unknown.status, unknown.body]);
      assert.equal(known.status, 202);
      const outbox = await h.app.store.listOutboxMessages({ limit: 100 });
      assert.ok(!outbox.items.some((m) => m.recipient === 'nobody@example.com'));

      const token = await h.tokenFromOutbox('reset@example.com', 'reset');
      const confirmed = await h.browser().request('POST', 'password-reset/confirm', { token, password: 'a brand new password' });
      assert.equal(confirmed.status, 204);
      assert.equal((await h.browser().request('POST', 'password-reset/confirm', { token, password: 'a brand new password' })).body.code, 'LINK_NOT_VALID');
      assert.equal((await signedIn.request('GET', 'me')).status, 401);
      assert.equal((await h.browser().signIn('reset@example.com', 'a brand new password')).status, 200);

      // A reset link lasts an hour.
      h.clock.advance(1000);
      await h.browser().request('POST', 'password-reset', { email: 'reset@example.com' });
      const late = await h.tokenFromOutbox('reset@example.com', 'reset');
      assert.notEqual(late, token);
      h.clock.advance(60 * 60_000);
      assert.equal(
        (await h.browser().request('POST', 'password-reset/confirm', { token: late, password: 'a brand new password' })).body.code,
        'LINK_NOT_VALID',
      );
    });

    test('reset emails are throttled per account: the fourth request in 15 minutes answers the same and sends nothing', async () => {
      await member(h, 'reset-throttle', 'flood@example.com');
      const sent = async () =>
        (await h.app.store.listOutboxMessages({ limit: 100 })).items.filter((m) => m.recipient === 'flood@example.com' && m.text.includes('/reset#')).length;
      for (let i = 0; i < 4; i++) {
        const answer = await h.browser().request('POST', 'password-reset', { email: 'flood@example.com' });
        assert.equal(answer.status, 202);
      }
      assert.equal(await sent(), 3);
    });

    test('sign-in answers an unknown email as a wrong password, and spends a hash on it', async () => {
      await member(h, 'unknown', 'known@example.com');
      const checked = async (email: string) => {
        const before = passwordChecks();
        const answer = await h.browser().signIn(email, 'wrong password here');
        return { answer, checks: passwordChecks() - before };
      };
      const wrong = await checked('known@example.com');
      const unknown = await checked('unknown@example.com');
      assert.equal(wrong.answer.status, 401);
      assert.deepEqual({ ...unknown.answer.body, requestId: undefined }, { ...wrong.answer.body, requestId: undefined });
      // Both spent one argon2id verification: the unknown email against a decoy hash.
      assert.equal(wrong.checks, 1);
      assert.equal(unknown.checks, 1);
    });

    test('invitations expire after 7 days; tokens and session ids are stored only as hashes', async () => {
      const consumer = (await h.call('POST', '/admin/v1/consumers', { name: 'expiry' })).body;
      const invited = await h.call('POST', `/admin/v1/consumers/${consumer.id}/members`, { email: 'late@example.com', role: 'developer' });
      assert.equal(invited.status, 201);
      const token = invited.body.invitation.url.split('#token=')[1];
      assert.equal(await h.tokenFromOutbox('late@example.com'), token);
      h.clock.advance(7 * 24 * 60 * 60_000);
      assert.equal((await h.browser().request('POST', 'invitations/accept', { token, password: PASSWORD })).body.code, 'LINK_NOT_VALID');

      const { browser } = await member(h, 'hashed', 'hashed@example.com');
      const sessionId = browser.cookie!.split('=')[1]!;
      // The tables as they are on disk (SQLite; on PostgreSQL the same store code writes them).
      if (adapter.name !== 'sqlite') return;
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(h.sqlitePath!, { readonly: true });
      try {
        const dump = JSON.stringify([
          raw.prepare('select * from portal_tokens').all(),
          raw.prepare('select * from portal_sessions').all(),
          raw.prepare('select * from portal_users').all(),
        ]);
        assert.ok(!dump.includes(token), 'an invitation token in plaintext');
        assert.ok(!dump.includes(sessionId), 'a session id in plaintext');
        assert.ok(!dump.includes(PASSWORD), 'a password in plaintext');
        assert.match(dump, /\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      } finally {
        raw.close();
      }
    });

    test('sign-in is throttled per account and per address', async () => {
      await member(h, 'throttle', 'throttle@example.com');
      // Ten failures for one account (from different addresses) lock it for a while, even with the right password.
      for (let i = 0; i < 10; i++) {
        const answer = await h
          .browser()
          .request('POST', 'session', { email: 'throttle@example.com', password: 'wrong password!!' }, { 'x-forwarded-for': `198.51.100.${i}` });
        assert.equal(answer.body.code, 'SIGN_IN_FAILED');
      }
      const locked = await h.browser().signIn('throttle@example.com');
      assert.equal(locked.status, 429);
      assert.equal(locked.body.code, 'SIGN_IN_THROTTLED');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      h.clock.advance(15 * 60_000);
      assert.equal((await h.browser().signIn('throttle@example.com')).status, 200);
    });
  });

describe('portal sign-in throttling per address', () => {
  test('portal.signInAttempts.perAddress failures from one address stop it trying any account', async () => {
    const h = await createPortalHarness({ config: { portal: { publicUrl: 'https://portal.example.com', signInAttempts: { perAddress: 5 } } } });
    try {
      await member(h, 'victim', 'victim@example.com');
      const attempts = [];
      for (let i = 0; i < 5; i++) attempts.push(h.browser().request('POST', 'session', { email: `guess${i}@example.com`, password: 'wrong password!!' }));
      for (const answer of await Promise.all(attempts)) assert.equal(answer.body.code, 'SIGN_IN_FAILED');
      const refused = await h.browser().signIn('victim@example.com');
      assert.equal(refused.body.code, 'SIGN_IN_THROTTLED');
    } finally {
      await h.close();
    }
  });

  test('with gateway.trustProxy the address is the last X-Forwarded-For entry, as on the OAuth endpoints', async () => {
    const h = await createPortalHarness({
      config: { gateway: { trustProxy: true }, portal: { publicUrl: 'https://portal.example.com', signInAttempts: { perAddress: 2 } } },
    });
    try {
      const attempt = (forwarded: string) =>
        h.browser().request('POST', 'session', { email: 'nobody@example.com', password: 'wrong password!!' }, { 'x-forwarded-for': forwarded });
      assert.equal((await attempt('203.0.113.9, 198.51.100.1')).body.code, 'SIGN_IN_FAILED');
      assert.equal((await attempt('198.51.100.1')).body.code, 'SIGN_IN_FAILED');
      assert.equal((await attempt('192.0.2.1, 198.51.100.1')).body.code, 'SIGN_IN_THROTTLED');
      assert.equal((await attempt('198.51.100.2')).body.code, 'SIGN_IN_FAILED');
    } finally {
      await h.close();
    }
  });
});
