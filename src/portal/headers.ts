// The headers of every portal answer (pages, assets, API, errors): a CSP without inline script,
// no framing, no referrer, no MIME sniffing; API answers and the page itself are never cached.
import type { FastifyReply } from 'fastify';

export function contentSecurityPolicy(logoUrl: string | undefined): string {
  // A logo on another https origin is the one image source besides our own.
  const logoOrigin = logoUrl?.startsWith('https://') ? ` ${new URL(logoUrl).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${logoOrigin}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function securityHeaders(csp: string) {
  return function setSecurityHeaders(reply: FastifyReply): void {
    reply.header('content-security-policy', csp);
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  };
}
