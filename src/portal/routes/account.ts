// The portal API's account routes: branding, sign-in and out, invitations, sign-in links, sign-up,
// password reset and change. `publicRoutes` need no session; `signedInRoutes` run behind the session hook.
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import {
  Accepted,
  PasswordChange,
  PortalInfo,
  portalErrors,
  ResetRequest,
  SessionAnswer,
  SignIn,
  Signup,
  TokenAndPassword,
  TokenBody,
} from '../account-schemas.js';
import { type SessionAnswers, sessionOf, sourceIpOf, throttleAddressOf } from '../session.js';
import type { SessionCookie } from '../session-cookie.js';
import type { PortalServer } from './portal-server.js';

export interface AccountRouteDeps {
  app: App;
  cookie: SessionCookie;
  sessions: SessionAnswers;
}

const tags = ['account'];

export function publicAccountRoutes(scope: PortalServer, { app, sessions }: AccountRouteDeps): void {
  scope.get(
    '/portal',
    { schema: { operationId: 'getPortal', tags, summary: 'Branding and the URLs the getting-started snippets need', response: { 200: PortalInfo } } },
    async () => ({
      title: app.portal.branding.title,
      logoUrl: app.portal.branding.logoUrl ?? null,
      primaryColor: app.portal.branding.primaryColor,
      signup: app.portal.signup,
      issuer: app.oauth.settings.issuer,
      tokenUrl: app.oauth.settings.tokenEndpoint,
      gatewayUrl: app.portal.publicUrl,
    }),
  );

  scope.post(
    '/session',
    {
      schema: {
        operationId: 'signIn',
        tags,
        summary: 'Sign in with email and password; sets the session cookie (a new one at every sign-in)',
        body: SignIn,
        response: { 200: SessionAnswer, ...portalErrors },
      },
    },
    async (request, reply) => {
      const result = await app.members.signIn({ ...request.body, address: throttleAddressOf(app, request) });
      if (!result.ok) {
        if (result.retryAfterMs) reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
        throw new PortcullisError(result.code);
      }
      return sessions.signIn(request, reply, result.user);
    },
  );

  scope.post(
    '/invitations/accept',
    {
      schema: {
        operationId: 'acceptInvitation',
        tags,
        summary: 'Accept an invitation with a new password; signs in',
        body: TokenAndPassword,
        response: { 200: SessionAnswer, ...portalErrors },
      },
    },
    async (request, reply) => sessions.signIn(request, reply, await app.members.acceptInvitation(request.body, sourceIpOf(app, request))),
  );

  scope.post(
    '/sign-in-link',
    {
      schema: {
        operationId: 'signInWithLink',
        tags,
        summary: 'Sign in with an operator’s one-time link',
        body: TokenBody,
        response: { 200: SessionAnswer, ...portalErrors },
      },
    },
    async (request, reply) => sessions.signIn(request, reply, await app.members.signInWithLink(request.body.token)),
  );

  scope.post(
    '/signup',
    {
      schema: {
        operationId: 'signUp',
        tags,
        summary: 'Sign up (portal.signup open or domains): an organisation with you as its owner, once the emailed link is opened',
        body: Signup,
        response: { 202: Accepted, ...portalErrors },
      },
    },
    async (request, reply) => {
      await app.members.signup(request.body, sourceIpOf(app, request), throttleAddressOf(app, request));
      return reply.code(202).send({ status: 'verification-sent' });
    },
  );

  scope.post(
    '/signup/verify',
    {
      schema: {
        operationId: 'verifySignup',
        tags,
        summary: 'Confirm the email address with the emailed link; signs in',
        body: TokenBody,
        response: { 200: SessionAnswer, ...portalErrors },
      },
    },
    async (request, reply) => sessions.signIn(request, reply, await app.members.verifySignup(request.body.token, sourceIpOf(app, request))),
  );

  scope.post(
    '/password-reset',
    {
      schema: {
        operationId: 'requestPasswordReset',
        tags,
        summary: 'Email a reset link if the address has an account (the answer is the same either way)',
        body: ResetRequest,
        response: { 202: Accepted, ...portalErrors },
      },
    },
    async (request, reply) => {
      await app.members.requestPasswordReset(request.body.email, throttleAddressOf(app, request));
      return reply.code(202).send({ status: 'sent-if-known' });
    },
  );

  scope.post(
    '/password-reset/confirm',
    {
      schema: {
        operationId: 'confirmPasswordReset',
        tags,
        summary: 'Set a new password with the emailed link; every session of the account ends',
        body: TokenAndPassword,
        response: { 204: Type204(), ...portalErrors },
      },
    },
    async (request, reply) => {
      await app.members.confirmPasswordReset(request.body, sourceIpOf(app, request));
      return reply.code(204).send();
    },
  );
}

export function signedInAccountRoutes(scope: PortalServer, { app, cookie, sessions }: AccountRouteDeps): void {
  scope.get(
    '/me',
    { schema: { operationId: 'getMe', tags, summary: 'The signed-in user, membership and CSRF token', response: { 200: SessionAnswer, ...portalErrors } } },
    async (request) => sessions.answer(sessionOf(request)),
  );

  scope.delete(
    '/session',
    { schema: { operationId: 'signOut', tags, summary: 'Sign out: the session ends on the server', response: { 204: Type204(), ...portalErrors } } },
    async (request, reply) => {
      const id = cookie.read(request);
      if (id) await app.sessions.end(id);
      cookie.clear(reply);
      return reply.code(204).send();
    },
  );

  scope.post(
    '/password',
    {
      schema: {
        operationId: 'changePassword',
        tags,
        summary: 'Change the password: every session of the account ends, this one is replaced by a new one',
        body: PasswordChange,
        response: { 200: SessionAnswer, ...portalErrors },
      },
    },
    async (request, reply) => {
      const { user } = sessionOf(request);
      await app.members.changePassword(user.id, request.body, sourceIpOf(app, request));
      return sessions.signIn(request, reply, user);
    },
  );
}

function Type204() {
  return { type: 'null', description: 'No content' } as const;
}
