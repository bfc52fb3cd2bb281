// RFC 8414 authorization server metadata: what a client library needs to find our endpoints and keys.
import { ASSERTION_ALGS } from './clients/assertion.js';

export function authorizationServerMetadata(issuer: string, signingAlgs: readonly string[]) {
  const authMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: [...authMethods, 'bearer'],
    revocation_endpoint_auth_methods_supported: authMethods,
    access_token_signing_alg_values_supported: signingAlgs,
  };
}
