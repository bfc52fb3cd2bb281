// Rules of portal accounts that span several rows, on every store: sign-up writes all or nothing,
// a consumer with members keeps an owner (under concurrency too), and an operator disables an
// account — it cannot sign in and its sessions end at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storeAdapters } from '../helpers/stores.js';
import { createPortalHarness, member, PASSWORD, type PortalHarness } from './helpers.js';

for (const adapter of storeAdapters)
  describe(`portal account rules (${adapter.name})`, { skip: adapter.skip }, () => {
    let h: PortalHarness;
    before(async () => {
      h = await createPortalHarness({ adapter, config: { portal: { publicUrl: 'https://portal.example.com', signup: 'open' } } });
    });
    after(async () => h?.close());

    async function operator(email: string) {
      const link = await h.app.members.createOperatorSignInLink(email, { id: 'test', sourceIp: null });
      const b = h.browser();
      const signedIn = await b.request('POST', 'sign-in-link', { token: link.url.split('#token=')[1] });
      assert.equal(signedIn.status, 200);
      return b;
    }

    test('sign-up is one transaction: two sign-ups racing for one organisation name leave one account, nothing of the other', async () => {
      const emails = ['first@race.example', 'second@race.example'];
      const answers = await Promise.all(emails.map((email) => h.browser().request('POST', 'signup', { email, password: PASSWORD, organisation: 'racers' })));
      assert.deepEqual(answers.map((a) => a.status).sort(), [202, 409], JSON.stringify(answers.map((a) => a.body)));
      const lost = answers.findIndex((a) => a.status === 409);
      assert.equal(answers[lost]!.body.code, 'CONSUMER_NAME_TAKEN');
      const winner = emails[1 - lost]!;
      const loser = emails[lost]!;

      const consumer = (await h.app.store.findConsumerByName('racers'))!;
      assert.deepEqual(
        (await h.app.store.listMembers(consumer.id)).map((m) => [m.email, m.role]),
        [[winner, 'owner']],
      );
      // No user, no membership, no token, no email and no audit event of the sign-up that failed.
      assert.equal(await h.app.store.findPortalUserByEmail(loser), undefined);
      const outbox = (await h.app.store.listOutboxMessages({ limit: 100 })).items;
      assert.deepEqual(
        outbox.filter((m) => emails.includes(m.recipient)).map((m) => m.recipient),
        [winner],
      );
      const events = (await h.call('GET', '/admin/v1/audit-events?limit=100')).body.items as { action: string; details: { name?: string } }[];
      assert.equal(events.filter((e) => e.action === 'portal_user.signed_up').length, 1);
      assert.equal(events.filter((e) => e.action === 'consumer.created' && e.details.name === 'racers').length, 1);
      await assert.rejects(h.tokenFromOutbox(loser, 'verify'));
      // The address is free: it signs up under another name.
      assert.equal((await h.browser().request('POST', 'signup', { email: loser, password: PASSWORD, organisation: 'racers-2' })).status, 202);
      assert.ok(await h.app.store.findPortalUserByEmail(loser));
    });

    test('the last owner is neither removed nor demoted (portal and admin API); with two, one goes', async () => {
      const { consumer, browser } = await member(h, 'owned', 'only-owner@owned.example');
      const [owner] = (await browser.request('GET', 'members')).body.items;
      const demote = await browser.request('PATCH', `members/${owner.id}`, { role: 'developer' });
      assert.equal(demote.status, 409);
      assert.equal(demote.body.code, 'LAST_OWNER');
      assert.equal((await browser.request('DELETE', `members/${owner.id}`)).body.code, 'LAST_OWNER');
      const admin = await h.call('DELETE', `/admin/v1/consumers/${consumer.id}/members/${owner.id}`);
      assert.equal(admin.status, 409);
      assert.equal(admin.body.code, 'LAST_OWNER');
      const ops = await operator('ops@owned.example');
      assert.equal((await ops.request('PATCH', `admin/consumers/${consumer.id}/members/${owner.id}`, { role: 'developer' })).body.code, 'LAST_OWNER');
      assert.equal((await browser.request('GET', 'members')).body.items[0].role, 'owner');

      // A developer can go; an owner re-affirmed as owner is no demotion.
      await h.call('POST', `/admin/v1/consumers/${consumer.id}/members`, { email: 'second@owned.example', role: 'owner' });
      assert.equal(
        (await h.browser().request('POST', 'invitations/accept', { token: await h.tokenFromOutbox('second@owned.example'), password: PASSWORD })).status,
        200,
      );
      assert.equal((await browser.request('PATCH', `members/${owner.id}`, { role: 'owner' })).status, 200);
      // Two owners remove each other at once: one succeeds, the other is refused; one owner is left.
      const members = (await browser.request('GET', 'members')).body.items as { id: string }[];
      const answers = await Promise.all(members.map((m) => h.call('DELETE', `/admin/v1/consumers/${consumer.id}/members/${m.id}`)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [204, 409]);
      const left = await h.app.store.listMembers(consumer.id);
      assert.deepEqual(
        left.map((m) => m.role),
        ['owner'],
      );
    });

    test('two owners demoted at once through the portal: one stays owner', async () => {
      const { consumer } = await member(h, 'demoted', 'a@demoted.example');
      await h.call('POST', `/admin/v1/consumers/${consumer.id}/members`, { email: 'b@demoted.example', role: 'owner' });
      await h.browser().request('POST', 'invitations/accept', { token: await h.tokenFromOutbox('b@demoted.example'), password: PASSWORD });
      const ops = await operator('ops@demoted.example');
      const members = (await ops.request('GET', `admin/consumers/${consumer.id}/members`)).body.items as { id: string }[];
      const answers = await Promise.all(members.map((m) => ops.request('PATCH', `admin/consumers/${consumer.id}/members/${m.id}`, { role: 'developer' })));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
      assert.deepEqual((await h.app.store.listMembers(consumer.id)).map((m) => m.role).sort(), ['developer', 'owner']);
    });

    test('an operator disables an account: its sessions end at once, it cannot sign in; enabled, it signs in again', async () => {
      const { browser, session } = await member(h, 'disabled-org', 'dev@disabled.example');
      const userId = session.user.id as string;
      const ops = await operator('ops@disabled.example');
      const other = h.browser();
      assert.equal((await other.signIn('dev@disabled.example')).status, 200);

      // A member, even an owner, may not; an operator may not disable themselves.
      assert.equal((await browser.request('POST', `admin/users/${userId}/disable`)).body.code, 'PORTAL_ROLE_REQUIRED');
      const self = (await ops.request('GET', 'me')).body.user.id;
      assert.equal((await ops.request('POST', `admin/users/${self}/disable`)).body.code, 'PORTAL_USER_SELF');
      assert.equal((await ops.request('POST', 'admin/users/usr_unknown/disable')).body.code, 'PORTAL_USER_NOT_FOUND');

      const disabled = await ops.request('POST', `admin/users/${userId}/disable`);
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.disabled, true);
      for (const b of [browser, other]) assert.equal((await b.request('GET', 'me')).body.code, 'SESSION_REQUIRED');
      const refused = await h.browser().signIn('dev@disabled.example');
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, 'SIGN_IN_FAILED', 'the same answer as a wrong password');
      assert.equal((await h.browser().request('POST', 'password-reset', { email: 'dev@disabled.example' })).status, 202);
      await assert.rejects(h.tokenFromOutbox('dev@disabled.example', 'reset'), 'no reset link for a disabled account');
      const listed = (await ops.request('GET', `admin/consumers/${session.membership.consumerId}/members`)).body.items;
      assert.deepEqual(
        listed.map((m: { disabled: boolean }) => m.disabled),
        [true],
      );

      // The admin API does the same, by id.
      const enabled = await h.call('POST', `/admin/v1/portal-users/${userId}/enable`);
      assert.equal(enabled.status, 200);
      assert.deepEqual([enabled.body.id, enabled.body.disabled], [userId, false]);
      assert.equal((await h.browser().signIn('dev@disabled.example')).status, 200);
      assert.equal((await h.call('POST', `/admin/v1/portal-users/${userId}/disable`)).body.disabled, true);
      assert.equal((await h.call('POST', '/admin/v1/portal-users/usr_0000000000000000000000/disable')).body.code, 'PORTAL_USER_NOT_FOUND');

      const events = (await h.call('GET', `/admin/v1/audit-events?targetId=${userId}`)).body.items as { action: string; actor: string }[];
      assert.deepEqual(events.map((e) => e.action).sort(), ['portal_user.disabled', 'portal_user.disabled', 'portal_user.enabled']);
      assert.ok(
        events.every((e) => e.actor.startsWith('portal:usr_') || e.actor.startsWith('key_')),
        JSON.stringify(events),
      );
    });
  });
