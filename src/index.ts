// `import … from 'portcullis'`: the middlewares' checks without a framework, and the verifiers
// they use — in process against a Portcullis store, or remotely against its admin API with a local
// cache. The framework middlewares are `portcullis/fastify`, `portcullis/express`, `portcullis/hono`.
import { createRequestAuthenticator, type PortcullisAuthOptions, type RequestAuthenticator } from './library/authenticate.js';

export type { Credential, Identity } from './auth/types.js';
export type { HeaderReader, LibraryDecision, PortcullisAuthOptions, RequestAuthenticator } from './library/authenticate.js';
export {
  createInProcessVerifier,
  createRemoteVerifier,
  type InProcessVerifierOptions,
  type PortcullisVerifier,
  type RemoteVerifierOptions,
  type TrustedIssuerOptions,
} from './library/verifier.js';

/**
 * `authenticate(header)` with a request's headers (by lower-case name: `(name) => req.headers[name]`
 * on node, `(name) => request.headers.get(name)` with Fetch) → the identity, or the status, headers
 * and problem body to answer with (401/403/503, as the gateway would). For credentials with
 * `allowedIps`, pass the request's source address too: `authenticate(header, false, () => address)`
 * (without it such a credential is refused with 403 IP_NOT_ALLOWED).
 */
export function createAuthenticator(options: PortcullisAuthOptions): RequestAuthenticator {
  return createRequestAuthenticator(options, '');
}
