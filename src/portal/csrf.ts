// Cross-site request refusal for the portal API. Every state-changing request (POST, PATCH, PUT,
// DELETE) must come from the portal's own origin — `Sec-Fetch-Site: same-origin` when the browser
// sends it, else an `Origin` equal to the portal's origin (or the request's own Host); neither: refused.
// A signed-in request must also carry its session's CSRF token in `X-CSRF-Token`.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { PortcullisError } from '../errors/codes.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function changesState(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method);
}

export function checkSameOrigin(request: FastifyRequest, portalOrigin: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site === 'same-origin') return;
    throw new PortcullisError('CSRF_REJECTED', `a ${String(site)} request may not change anything here`);
  }
  const origin = request.headers.origin;
  if (origin === undefined) throw new PortcullisError('CSRF_REJECTED', 'the request carries neither Sec-Fetch-Site nor Origin');
  if (origin === portalOrigin) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== undefined && origin !== 'null' && host === request.headers.host) return;
  throw new PortcullisError('CSRF_REJECTED', 'the request comes from another origin');
}

export function checkCsrfToken(request: FastifyRequest, expected: string): void {
  const sent = request.headers['x-csrf-token'];
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    throw new PortcullisError('CSRF_REJECTED', 'X-CSRF-Token is missing or does not match the session');
}
