// The framework-independent half of the middlewares: options checked at construction, then per
// request the gateway's own authentication (same credential rules, same 401/403/429 problems).

import { authenticateCredentials, type CredentialInput } from '../auth/authenticate.js';
import { denialProblem } from '../auth/denial.js';
import { type AuthPolicy, makePolicy } from '../auth/policy.js';
import type { AuthMethod, AuthMethodName, Identity } from '../auth/types.js';
import { PROBLEM_CONTENT_TYPE, problemBody, UNAVAILABLE_RETRY_AFTER } from '../errors/problem.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { acceptableRequestId } from '../lib/request-id.js';
import type { Store } from '../store/types.js';
import {
  createInProcessVerifier,
  createRemoteVerifier,
  type PortcullisVerifier,
  type RemoteVerifierOptions,
  type TrustedIssuerOptions,
  type VerifierCacheOptions,
} from './verifier.js';

export interface PortcullisAuthOptions {
  /** A verifier shared by several middlewares (createInProcessVerifier / createRemoteVerifier). */
  verifier?: PortcullisVerifier;
  /** In-process: the store the gateway uses (`sqlite:PATH`, `postgres://…`, or an open Store). */
  store?: string | Store;
  /** In-process, for tokens: Portcullis' `issuer` (default as the gateway's, `http://127.0.0.1:8080`). */
  issuer?: string;
  /** In-process, for tokens: external IdPs whose tokens are accepted, as `trustedIssuers` in portcullis.yaml. */
  trustedIssuers?: TrustedIssuerOptions[];
  /** Remote: a running Portcullis' admin API. */
  remote?: Omit<RemoteVerifierOptions, 'prefix' | 'cache' | 'clock' | 'methods'>;
  /** Scopes every request through this middleware needs. */
  scopes?: string[];
  /** Header carrying an API key besides `Authorization: Bearer` (default X-API-Key). */
  apiKeyHeader?: string;
  /** Credentials accepted: `['api-key', 'jwt']` in process (the default there), `['api-key']` remotely (its default). */
  auth?: AuthMethodName[];
  /** For JWTs: the audience this app is. */
  audience?: string;
  /**
   * As gateway.trustProxy: the source address that keys', clients' and consumers' `allowedIps` are
   * checked against is the last X-Forwarded-For entry (set by your proxy) rather than the socket's
   * peer. Default false. Behind no proxy, leave it off: a client could name any address.
   */
  trustProxy?: boolean;
  /** `WWW-Authenticate: Bearer realm="…"` (default portcullis). */
  realm?: string;
  prefix?: string;
  cache?: VerifierCacheOptions;
  clock?: Clock;
  methods?: readonly AuthMethod[];
}

export type LibraryDecision = { ok: true; identity: Identity } | { ok: false; status: number; headers: Record<string, string>; body: Record<string, unknown> };

/** A request header by lower-case name, as node (`req.headers[name]`) or a Fetch `Headers.get` gives it. */
export type HeaderReader = (name: string) => string | string[] | null | undefined;

export interface RequestAuthenticator {
  readonly verifier: PortcullisVerifier;
  /**
   * Closes the verifier built from `store` or `remote`: pending last-used times are written and an
   * opened store is closed. A `verifier` passed in is left open: whoever made it closes it.
   */
  close(): Promise<void>;
  /**
   * `header(name)` returns a request header by lower-case name; a credential header given as an array
   * of several values, or `repeated` (when the caller saw it sent twice), is refused as ambiguous.
   */
  /**
   * `sourceAddress` gives the request's source address (src/oauth/source-address.ts), asked only for a
   * credential with an IP allowlist; without it such a credential is refused (IP_NOT_ALLOWED).
   */
  authenticate(header: HeaderReader, repeated?: boolean, sourceAddress?: () => string): Promise<LibraryDecision>;
}

const NO_ADDRESS = () => '';

/** Counts credential headers in node's raw header list (Express and Fastify have it; Hono does not). */
export function repeatedCredential(rawHeaders: readonly string[], apiKeyHeader: string): boolean {
  let authorization = 0;
  let apiKey = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'authorization') authorization++;
    else if (name === apiKeyHeader) apiKey++;
  }
  return authorization > 1 || apiKey > 1;
}

/** `framework` names the entry point in error messages ('' for the package root). */
export function createRequestAuthenticator(options: PortcullisAuthOptions, framework: string): RequestAuthenticator {
  const entry = framework === '' ? 'portcullis' : `portcullis/${framework}`;
  const sources = [options.verifier, options.store, options.remote].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new TypeError(`${entry}: pass exactly one of verifier, store or remote`);
  if (options.remote && (!options.remote.url || !options.remote.adminKey)) throw new TypeError(`${entry}: remote needs url and adminKey`);
  if (options.store === undefined && (options.issuer !== undefined || options.trustedIssuers !== undefined)) {
    throw new TypeError(`${entry}: issuer and trustedIssuers go with store (tokens are checked in process)`);
  }
  const apiKeyHeader = (options.apiKeyHeader ?? 'x-api-key').toLowerCase();
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(apiKeyHeader) || apiKeyHeader === 'authorization') {
    throw new TypeError(`${entry}: apiKeyHeader must be a header name other than Authorization`);
  }
  const realm = options.realm ?? 'portcullis';
  const common = {
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.methods ? { methods: options.methods } : {}),
  };
  const ownsVerifier = options.verifier === undefined;
  const verifier =
    options.verifier ??
    (options.store !== undefined
      ? createInProcessVerifier({
          store: options.store,
          ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
          ...(options.trustedIssuers ? { trustedIssuers: options.trustedIssuers } : {}),
          ...common,
        })
      : createRemoteVerifier({ ...options.remote!, ...common }));
  // By default every method the verifier can check: in process API keys and tokens, remotely API keys.
  const methods = options.auth ?? verifier.authMethods.names();
  const unchecked = methods.filter((m) => !verifier.authMethods.has(m));
  if (methods.length === 0 || unchecked.length > 0) {
    throw new TypeError(
      unchecked.length > 0
        ? `${entry}: auth lists ${unchecked.join(', ')}, which this verifier cannot check (a remote verifier checks API keys only; tokens are checked in process, with store)`
        : `${entry}: auth must list api-key, jwt or both`,
    );
  }
  const policy: AuthPolicy = makePolicy(
    [{ bearer: true, apiKeyHeader: methods.includes('api-key') ? apiKeyHeader : null, apiKeyQuery: null, methods, scopes: options.scopes ?? [] }],
    false,
    options.audience,
  );

  let closed: Promise<void> | undefined;
  return {
    verifier,
    close() {
      closed ??= ownsVerifier ? verifier.close() : Promise.resolve();
      return closed;
    },
    async authenticate(header, repeated = false, sourceAddress = NO_ADDRESS) {
      let sentTwice = repeated;
      const read = (name: string): string | undefined => {
        const value = header(name);
        if (!Array.isArray(value)) return value ?? undefined;
        if (value.length > 1) sentTwice = true;
        return value[0];
      };
      const authorization = read('authorization');
      const apiKey = read(apiKeyHeader);
      const input: CredentialInput = {
        authorization,
        header: (name) => (name === apiKeyHeader ? apiKey : read(name)),
        query: () => undefined,
        repeated: sentTwice,
        sourceAddress,
      };
      const decision = await authenticateCredentials(policy, input, verifier.authMethods);
      if (decision.ok) return { ok: true, identity: decision.identity! };
      const requestId = acceptableRequestId(read('x-request-id')) ?? newId('req');
      const response = denialProblem(decision, realm, requestId, {
        'content-type': PROBLEM_CONTENT_TYPE,
        'cache-control': 'no-store',
        'x-request-id': requestId,
      });
      if (decision.status === 503) response.headers['retry-after'] = UNAVAILABLE_RETRY_AFTER;
      return { ok: false, status: decision.status, headers: response.headers, body: problemBody(response) };
    },
  };
}
