// The session cookie: `__Host-portcullis_session`, HttpOnly, Secure, SameSite=Lax, Path=/ — or, when
// the portal's public URL is plain http on localhost / 127.0.0.1 / [::1] (development, the demo),
// `portcullis_session` without Secure, which browsers would not keep over http.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../members/session-cookie-name.js';

export interface SessionCookie {
  name: string;
  secure: boolean;
  read(request: FastifyRequest): string | undefined;
  set(reply: FastifyReply, id: string, maxAgeSeconds: number): void;
  clear(reply: FastifyReply): void;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function sessionCookieFor(publicUrl: string): SessionCookie {
  const url = new URL(publicUrl);
  const secure = !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const options = { path: '/', httpOnly: true, secure, sameSite: 'lax' as const };
  return {
    name,
    secure,
    read: (request) => request.cookies[name],
    set: (reply, id, maxAgeSeconds) => void reply.setCookie(name, id, { ...options, maxAge: maxAgeSeconds }),
    clear: (reply) => void reply.clearCookie(name, options),
  };
}
