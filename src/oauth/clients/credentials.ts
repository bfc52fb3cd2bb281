// Which client-authentication mechanism a request uses: Basic header, secret in the body, or a
// private_key_jwt assertion. A request that uses two is refused (RFC 6749 §2.3: only one).
import { type OAuthError, oauthError } from '../errors.js';
import { type FormParams, param } from '../form.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type ClientCredentials =
  | { method: 'client_secret_basic'; clientId: string; secret: string }
  | { method: 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string | undefined; assertion: string }
  | { method: 'none'; clientId: string | undefined };

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by a colon and base64-encoded. */
function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return clientId ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

/** application/x-www-form-urlencoded decoding of one value; ids and secrets in our format need none. */
function formDecode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

export function readClientCredentials(authorization: string | undefined, params: FormParams): ClientCredentials | OAuthError {
  const bodyId = param(params, 'client_id');
  const bodySecret = param(params, 'client_secret');
  const assertionType = param(params, 'client_assertion_type');
  const assertion = param(params, 'client_assertion');
  const usesBasic = authorization !== undefined && /^Basic\b/i.test(authorization);
  const usesPost = bodySecret !== undefined;
  const usesAssertion = assertion !== undefined || assertionType !== undefined;

  if (Number(usesBasic) + Number(usesPost) + Number(usesAssertion) > 1) {
    return oauthError('invalid_request', 'use exactly one client authentication mechanism');
  }
  if (usesBasic) {
    const basic = parseBasic(authorization!);
    if (!basic) return oauthError('invalid_client', 'malformed Basic credentials', { basicChallenge: true });
    if (bodyId !== undefined && bodyId !== basic.clientId) return oauthError('invalid_request', 'client_id does not match the Basic credentials');
    return { method: 'client_secret_basic', ...basic };
  }
  if (usesPost) {
    if (bodyId === undefined) return oauthError('invalid_request', 'client_secret needs client_id');
    return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret! };
  }
  if (usesAssertion) {
    if (assertionType !== JWT_BEARER_ASSERTION) return oauthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    if (assertion === undefined) return oauthError('invalid_request', 'client_assertion is missing');
    return { method: 'private_key_jwt', clientId: bodyId, assertion };
  }
  return { method: 'none', clientId: bodyId };
}
