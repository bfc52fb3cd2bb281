// Client authentication at the token, introspection and revocation endpoints. Secrets are compared as
// SHA-256 hashes in constant time, an unknown client costs the same work as a known one, and every
// failure gives the same answer. The mechanism used must be one the client accepts (client.authMethods).
// A secret imported from another system as a bcrypt hash (src/imports) is checked with bcrypt, only
// when no SHA-256 one matched, and replaced by the SHA-256 of the secret once it has matched.
// A client whose (or whose consumer's) allowedIps exclude the source address fails like a wrong secret:
// `invalid_client`, not `access_denied` (RFC 6749 §5.2 defines no access_denied at the token endpoint,
// and a distinct answer would tell someone holding a stolen secret, from outside, that it is right).
import { timingSafeEqual } from 'node:crypto';
import { hashKey, hashKeyBytes } from '../../keys/format.js';
import type { Store } from '../../store/types.js';
import { CLIENT_AUTH_FAILED, type OAuthError, oauthError } from '../errors.js';
import type { ClientPrincipal, PrincipalCache } from '../principals.js';
import { assertedClientId, verifyClientAssertion } from './assertion.js';
import { bcryptMatches, isBcryptHash } from './bcrypt-secrets.js';
import type { ClientCredentials } from './credentials.js';

export interface ClientAuthDeps {
  principals: PrincipalCache;
  store: Store;
  now: () => number;
  /** Accepted assertion audiences: the issuer and the token endpoint. */
  audiences: string[];
  clockToleranceSeconds: number;
  assertionMaxLifetimeMs: number;
}

export type ClientAuthResult = { ok: true; principal: ClientPrincipal } | (OAuthError & { clientId?: string });

const DUMMY_HASH = Buffer.alloc(32);

function secretMatches(principal: ClientPrincipal | undefined, secret: string, now: number): boolean {
  const presented = hashKeyBytes(secret);
  let matched = false;
  const secrets = principal?.secrets.filter((s) => !isBcryptHash(s.hash)) ?? [];
  if (secrets.length === 0) timingSafeEqual(presented, DUMMY_HASH);
  for (const s of secrets) {
    const equal = timingSafeEqual(presented, Buffer.from(s.hash, 'hex'));
    if (equal && (s.expiresAt === null || s.expiresAt > now)) matched = true;
  }
  return matched;
}

/** A live imported bcrypt secret that matches; it is then stored as the SHA-256 of the secret, like ours. */
async function bcryptSecretMatches(deps: ClientAuthDeps, principal: ClientPrincipal, secret: string, now: number): Promise<boolean> {
  for (const s of principal.secrets) {
    if (!isBcryptHash(s.hash) || (s.expiresAt !== null && s.expiresAt <= now)) continue;
    if (!(await bcryptMatches(secret, s.hash))) continue;
    const upgraded = hashKey(secret);
    await deps.store.replaceClientSecretHash(s.id, s.hash, upgraded);
    // The cached principal is this node's copy of the row just written; other nodes keep checking bcrypt until they reload it.
    s.hash = upgraded;
    return true;
  }
  return false;
}

const addressAllowed = (principal: ClientPrincipal, sourceAddress: string) => principal.allowlist === undefined || principal.allowlist.allows(sourceAddress);

export function createClientAuthenticator(deps: ClientAuthDeps) {
  /** `sourceAddress` as src/oauth/source-address.ts takes it. */
  return async function authenticateClient(credentials: ClientCredentials, sourceAddress: string): Promise<ClientAuthResult> {
    const basicChallenge = credentials.method === 'client_secret_basic';
    const fail = (clientId: string | undefined): ClientAuthResult => ({
      ...oauthError('invalid_client', CLIENT_AUTH_FAILED, basicChallenge ? { basicChallenge } : {}),
      ...(clientId ? { clientId } : {}),
    });

    if (credentials.method === 'none') return fail(credentials.clientId);
    if (credentials.method === 'private_key_jwt') {
      const clientId = assertedClientId(credentials.assertion);
      if (!clientId || (credentials.clientId !== undefined && credentials.clientId !== clientId)) return fail(credentials.clientId ?? clientId);
      const principal = await deps.principals.client(clientId);
      if (!principal?.client.authMethods.includes('private_key_jwt') || !principal.client.jwks) return fail(clientId);
      // Before the assertion is checked, so a refused address cannot burn its jti.
      if (!addressAllowed(principal, sourceAddress)) return fail(clientId);
      const now = deps.now();
      const result = await verifyClientAssertion(credentials.assertion, {
        clientId,
        jwks: principal.client.jwks,
        audiences: deps.audiences,
        now,
        clockToleranceSeconds: deps.clockToleranceSeconds,
        maxLifetimeMs: deps.assertionMaxLifetimeMs,
      });
      if (!result.ok) return fail(clientId);
      // The replay check comes last, so an invalid assertion cannot burn a jti.
      if (!(await deps.store.recordAssertionJti(clientId, result.jti, result.expiresAt))) return fail(clientId);
      return { ok: true, principal };
    }

    const principal = await deps.principals.client(credentials.clientId);
    const now = deps.now();
    const matches =
      secretMatches(principal, credentials.secret, now) || (principal !== undefined && (await bcryptSecretMatches(deps, principal, credentials.secret, now)));
    if (!principal || !matches || !principal.client.authMethods.includes(credentials.method) || !addressAllowed(principal, sourceAddress)) {
      return fail(credentials.clientId);
    }
    return { ok: true, principal };
  };
}

export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>;
