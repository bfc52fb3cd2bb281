// A portal request's session: resolved from the cookie by the session hook of the signed-in routes,
// started (and the previous one ended: rotation) at every sign-in, and shaped as the answer of
// `POST session`, `POST invitations/accept`, `POST sign-in-link`, `POST signup/verify` and `GET me`.
import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { PortcullisError } from '../errors/codes.js';
import { addressBlockOf } from '../lib/address-block.js';
import { parseDuration } from '../lib/duration.js';
import type { ActiveSession } from '../members/sessions.js';
import { sourceAddressOf } from '../oauth/source-address.js';
import type { PortalUserRecord } from '../store/members-types.js';
import type { SessionAnswer } from './account-schemas.js';
import type { PortalPrincipal } from './principal.js';
import type { SessionCookie } from './session-cookie.js';

const SESSION = Symbol('portcullis.portal.session');
type WithSession = FastifyRequest & { [SESSION]?: ActiveSession };

export function attachSession(request: FastifyRequest, session: ActiveSession): void {
  (request as WithSession)[SESSION] = session;
}

/** The request's live session; a route behind the session hook always has one (its absence is a fault). */
export function sessionOf(request: FastifyRequest): ActiveSession {
  const session = (request as WithSession)[SESSION];
  if (!session) throw new PortcullisError('SESSION_REQUIRED');
  return session;
}

export function principalOf(request: FastifyRequest): PortalPrincipal {
  const { user, membership } = sessionOf(request);
  return {
    userId: user.id,
    email: user.email,
    operator: user.operator,
    membership: membership ? { consumerId: membership.consumerId, role: membership.role } : null,
  };
}

/**
 * Where a portal request comes from, read as the OAuth endpoints read it: the socket's peer, or —
 * only with gateway.trustProxy — the last X-Forwarded-For entry, the one our own proxy appended.
 */
export function sourceIpOf(app: App, request: FastifyRequest): string {
  return sourceAddressOf(request.raw, app.config.gateway.trustProxy);
}

/** What sign-in throttling counts by: the source address, an IPv6 one by its /64. */
export function throttleAddressOf(app: App, request: FastifyRequest): string {
  return addressBlockOf(sourceIpOf(app, request));
}

/** The actor audit events of portal actions name. */
export function portalActor(app: App, request: FastifyRequest): { id: string; sourceIp: string | null } {
  return { id: `portal:${sessionOf(request).user.id}`, sourceIp: sourceIpOf(app, request) };
}

export interface SessionAnswers {
  /** Ends the session the request came with (if any) and starts a new one for `user`: the answer of a sign-in. */
  signIn(request: FastifyRequest, reply: FastifyReply, user: PortalUserRecord): Promise<Static<typeof SessionAnswer>>;
  answer(session: ActiveSession): Promise<Static<typeof SessionAnswer>>;
}

export function sessionAnswers(app: App, cookie: SessionCookie): SessionAnswers {
  const maxAgeSeconds = Math.floor(parseDuration(app.config.portal.sessionMaxAge) / 1000);

  async function answer({ user, membership, session }: ActiveSession): Promise<Static<typeof SessionAnswer>> {
    const consumer = membership ? await app.store.getConsumer(membership.consumerId) : undefined;
    return {
      user: { id: user.id, email: user.email, role: user.operator ? ('operator' as const) : null },
      membership: membership && consumer ? { consumerId: consumer.id, consumerName: consumer.name, role: membership.role } : null,
      csrfToken: session.csrfToken,
    };
  }

  return {
    answer,
    async signIn(request, reply, user) {
      const previous = cookie.read(request);
      if (previous) await app.sessions.end(previous);
      const started = await app.sessions.start(user.id);
      cookie.set(reply, started.id, maxAgeSeconds);
      const active = await app.sessions.resolve(started.id);
      if (!active) throw new PortcullisError('SESSION_REQUIRED', 'the account cannot sign in');
      return answer(active);
    },
  };
}
