// The portal's emails over SMTP: a real local SMTP server (smtp-server) receives the invitation sent
// through nodemailer when `portal.smtp` is set, and nothing goes to the outbox. Sign-up (open and
// domains) sends its verification link; following it signs the new owner in.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { noteSecret } from '../helpers/logs.js';
import { createPortalHarness, PASSWORD, type PortalHarness } from './helpers.js';

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** The message as text: quoted-printable soft line breaks and `=3D` undone. */
function decodedText(raw: string): string {
  return raw.replace(/=\r\n/g, '').replace(/=3D/g, '=');
}

describe('portal email over SMTP', () => {
  let smtp: SMTPServer;
  let h: PortalHarness;
  const received: Received[] = [];
  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    h = await createPortalHarness({
      config: {
        portal: {
          publicUrl: 'https://portal.example.com',
          smtp: `smtp://127.0.0.1:${port}`,
          mailFrom: 'API team <api@example.com>',
          signup: 'domains',
          allowedDomains: ['example.com'],
        },
      },
    });
  });
  after(async () => {
    await h?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  test('an invitation is delivered to the SMTP server, not kept in the outbox', async () => {
    const consumer = (await h.call('POST', '/admin/v1/consumers', { name: 'smtp-org' })).body;
    const invited = await h.call('POST', `/admin/v1/consumers/${consumer.id}/members`, { email: 'dev@example.com', role: 'developer' });
    assert.equal(invited.status, 201);
    assert.equal(invited.body.emailSent, true);
    const token = invited.body.invitation.url.split('#token=')[1];
    noteSecret(token);
    const message = received.find((m) => m.to.includes('dev@example.com'))!;
    assert.ok(message, 'received');
    assert.equal(message.from, 'api@example.com');
    assert.match(message.raw, /Subject: You are invited to Developer portal/);
    assert.ok(decodedText(message.raw).includes(token), 'the link is in the message');
    assert.deepEqual((await h.app.store.listOutboxMessages({ limit: 10 })).items, []);
  });

  test('sign-up (domains): refused outside the allowed domains; verified by the emailed link, which signs the owner in', async () => {
    const outside = await h.browser().request('POST', 'signup', { email: 'someone@elsewhere.org', password: PASSWORD, organisation: 'elsewhere' });
    assert.equal(outside.body.code, 'SIGNUP_CLOSED');

    const b = h.browser();
    const signedUp = await b.request('POST', 'signup', { email: 'founder@example.com', password: PASSWORD, organisation: 'startup' });
    assert.equal(signedUp.status, 202);
    // Before verification the account cannot sign in; the answer says why only to whoever knows the password.
    assert.equal((await h.browser().signIn('founder@example.com')).body.code, 'EMAIL_NOT_VERIFIED');
    // Signing up again with a known email answers the same and sends nothing more.
    const before = received.length;
    const again = await h.browser().request('POST', 'signup', { email: 'founder@example.com', password: PASSWORD, organisation: 'startup-2' });
    assert.deepEqual([again.status, again.body], [signedUp.status, signedUp.body]);
    assert.equal(received.length, before);

    const message = received.find((m) => m.to.includes('founder@example.com'))!;
    const token = decodedText(message.raw).match(/verify#token=([A-Za-z0-9_-]{43})/)![1]!;
    noteSecret(token);
    const verified = await b.request('POST', 'signup/verify', { token });
    assert.equal(verified.status, 200);
    assert.equal(verified.body.membership.consumerName, 'startup');
    assert.equal(verified.body.membership.role, 'owner');
    assert.equal((await h.browser().signIn('founder@example.com')).status, 200);
    assert.equal((await h.browser().request('POST', 'signup/verify', { token })).body.code, 'LINK_NOT_VALID');
  });

  test('an SMTP server that is down: the invitation is still created, emailSent is false, the log names no link', async () => {
    const consumer = (await h.call('POST', '/admin/v1/consumers', { name: 'smtp-down' })).body;
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    const invited = await h.call('POST', `/admin/v1/consumers/${consumer.id}/members`, { email: 'late@example.com', role: 'developer' });
    assert.equal(invited.status, 201);
    assert.equal(invited.body.emailSent, false);
    const token = invited.body.invitation.url.split('#token=')[1];
    noteSecret(token);
    const logs = h.logs.join('');
    assert.match(logs, /could not send a portal email/);
    assert.ok(!logs.includes(token));
  });
});
