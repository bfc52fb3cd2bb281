// POST /oauth/token without HTTP: form parameters and the Authorization header in, an RFC 6749 answer
// out. Order: grant type, client authentication (throttled), then the grant from the registry.
import { isPortcullisError } from '../errors/codes.js';
import { isStoreUnavailable } from '../store/errors.js';
import type { ClientRequest, GuardedClientAuthenticator } from './clients/guarded-authenticate.js';
import { type OAuthError, oauthError } from './errors.js';
import { param } from './form.js';
import type { GrantRegistry, TokenResponse } from './grants/registry.js';

export type TokenOutcome = { ok: true; response: TokenResponse; clientId: string } | OAuthError;

/** Faults the OAuth endpoints answer with temporarily_unavailable instead of a 500. */
export function unavailableOf(error: unknown): OAuthError | undefined {
  if (isStoreUnavailable(error) || (isPortcullisError(error) && error.code === 'STORE_UNAVAILABLE')) {
    return oauthError('temporarily_unavailable', 'the store is unreachable; retry later', { retryAfterSeconds: 5 });
  }
  if (isPortcullisError(error) && error.code === 'SIGNING_UNAVAILABLE') {
    return oauthError('temporarily_unavailable', 'token signing is not configured', { retryAfterSeconds: 60 });
  }
  return undefined;
}

export function createTokenEndpoint({
  grants,
  authenticateRequest,
  now,
}: {
  grants: GrantRegistry;
  authenticateRequest: GuardedClientAuthenticator;
  now: () => number;
}) {
  return async function token(request: ClientRequest): Promise<TokenOutcome> {
    const grantType = param(request.params, 'grant_type');
    if (grantType === undefined) return oauthError('invalid_request', 'grant_type is missing');
    const grant = grants.get(grantType);
    if (!grant) return oauthError('unsupported_grant_type', `grant_type ${grantType.slice(0, 50)} is not supported`);
    try {
      const auth = await authenticateRequest(request);
      if (!auth.ok) return auth;
      const result = await grant.handle({ principal: auth.principal, params: request.params, now: now() });
      return result.ok ? { ok: true, response: result.response, clientId: auth.principal.client.id } : result;
    } catch (error) {
      const unavailable = unavailableOf(error);
      if (unavailable) return unavailable;
      throw error;
    }
  };
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>;
