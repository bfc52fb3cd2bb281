// Admin authentication: a Portcullis API key with the `portcullis:admin` scope, as a Bearer token.
import type { FastifyRequest } from 'fastify';
import { ADMIN_SCOPE } from '../app.js';
import type { Actor } from '../audit/log.js';
import { bearerOf, VISIBLE_BEARER } from '../auth/bearer.js';
import { PortcullisError } from '../errors/codes.js';
import type { KeyVerifier } from '../keys/verify.js';

export async function authenticateAdmin(request: FastifyRequest, verifyKey: KeyVerifier): Promise<Actor> {
  // Any visible token is checked as a key, so a malformed one is answered as such.
  const token = bearerOf(request.headers.authorization, VISIBLE_BEARER);
  if (!token) throw new PortcullisError('UNAUTHENTICATED', 'send an admin key as `Authorization: Bearer <key>`');
  const result = await verifyKey(token, { scopes: [ADMIN_SCOPE] });
  if (result.code === 'INSUFFICIENT_SCOPE') throw new PortcullisError('FORBIDDEN', `the key lacks the ${ADMIN_SCOPE} scope`);
  if (!result.valid) throw new PortcullisError('UNAUTHENTICATED', `the admin key is not valid (${result.code})`);
  // An admin key (or the admin consumer) with allowedIps: the admin listener's peer, as the audit trail records it.
  if (result.allowlist !== undefined && !result.allowlist.allows(request.ip)) {
    throw new PortcullisError('IP_NOT_ALLOWED', 'this admin key may not be used from this address');
  }
  return { id: result.keyId!, sourceIp: request.ip };
}
