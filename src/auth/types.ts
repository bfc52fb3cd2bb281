// What every authentication method (API key, JWT) produces: one identity, whichever credential the
// caller used. The gateway and the library middlewares depend only on this.

import type { AddressAllowlist } from '../lib/ip-allowlist.js';
import type { MaybePromise } from '../lib/maybe-promise.js';
import type { IdentityLimits } from '../limits/policies.js';
import type { JsonObject } from '../store/types.js';

export type Credential =
  | { type: 'api-key'; keyId: string }
  | {
      type: 'jwt';
      /** The token's client: our client_id, or a trusted issuer's client_id / azp / sub claim as it is. */
      clientId: string;
      jti: string;
      issuer: string;
    };

export interface Identity {
  consumerId: string;
  consumerName: string;
  metadata: JsonObject;
  scopes: string[];
  credential: Credential;
  /**
   * The id usage, rate limits and X-Credential-Id know the credential by: the key id, our client_id,
   * or for a trusted issuer's token `<issuer>#<client id>` — never equal to a local id (docs/oauth.md).
   */
  credentialId: string;
  /** Rate limits and quotas set on the consumer and on the credential, for the gateway's limiter. */
  limits?: IdentityLimits;
  /**
   * The source addresses the credential may be used from (the allowedIps of the key or client and of
   * the consumer, compiled once per cached credential); undefined = any. Checked by authenticateCredentials.
   */
  allowlist?: AddressAllowlist | undefined;
}

/** What an operation asks of the caller. */
export interface AuthRequirements {
  scopes: readonly string[];
  /** For JWTs: the API's audience, which the token's `aud` must contain. */
  audience?: string;
}

/** A denial is a value: 401 (bad credential), 403 (missing scope), 503 (store unreachable: fail closed). */
export type AuthOutcome =
  | { ok: true; identity: Identity }
  | {
      ok: false;
      status: 401 | 403 | 429 | 503;
      /** Stable code, e.g. the key verify code (`REVOKED`) or a JWT code (`TOKEN_EXPIRED`). */
      code: string;
      /** RFC 6750 error for WWW-Authenticate. */
      error: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
      description: string;
      missingScopes?: string[];
      /** Whose credential was refused, when it was recognised (a revoked key, a token short of a scope): usage counts it. */
      refused?: RefusedSubject;
    };

/** The consumer and credential behind a refused credential. */
export interface RefusedSubject {
  consumerId: string;
  credentialId: string;
}

export type AuthMethodName = 'api-key' | 'jwt';

/**
 * One way to authenticate a request; the gateway keeps a registry of these by name. A credential the
 * method has cached is answered at once; one it must look up, with a promise.
 */
export interface AuthMethod {
  readonly name: AuthMethodName;
  authenticate(credential: string, requirements: AuthRequirements): MaybePromise<AuthOutcome>;
}
