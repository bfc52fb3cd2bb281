// One request's authentication, without a request object: find the single credential the caller
// sent, pick the method by its shape and place, run it, check scopes. Denials are values; a fault in
// a method (store or JWKS unreachable) becomes a 503 so auth fails closed.

import type { ErrorCode } from '../errors/codes.js';
import type { MaybePromise } from '../lib/maybe-promise.js';
import { isStoreUnavailable } from '../store/errors.js';
import { isAdminCredential } from './admin-credential.js';
import { bearerOf } from './bearer.js';
import type { AuthPolicy, SecurityAlternative } from './policy.js';
import type { AuthMethodRegistry } from './registry.js';
import type { AuthMethodName, AuthOutcome, Identity, RefusedSubject } from './types.js';

export interface CredentialInput {
  /** The Authorization header, if sent. */
  authorization: string | undefined;
  /** A credential header (lower-case name) as sent. */
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  /** Authorization or a key header appeared more than once. */
  repeated: boolean;
  /**
   * The request's source address (src/oauth/source-address.ts: the peer, or with gateway.trustProxy
   * the last X-Forwarded-For entry); asked only for a credential with an IP allowlist. '' when unknown,
   * which no allowlist allows.
   */
  sourceAddress(): string;
}

export type AuthDenial = {
  ok: false;
  status: 400 | 401 | 403 | 429 | 503;
  code: ErrorCode;
  /** RFC 6750 error for WWW-Authenticate; absent when no credential was sent. */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  detail: string;
  /** The method's own code (REVOKED, TOKEN_EXPIRED, …). */
  reason?: string;
  missingScopes?: string[];
  method: AuthMethodName | null;
  /** The fault behind a 503, for the log only. */
  fault?: unknown;
  /** Whose credential was refused, when it was recognised: usage counts the request as theirs. */
  refused?: RefusedSubject;
};

export type AuthDecision = { ok: true; identity: Identity | null; method: AuthMethodName | null } | AuthDenial;

const ANONYMOUS: AuthDecision = Object.freeze({ ok: true, identity: null, method: null }) as AuthDecision;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type Source = { kind: 'bearer'; name: null } | { kind: 'header'; name: string } | { kind: 'query'; name: string };
const BEARER: Source = { kind: 'bearer', name: null };

function accepts(alternative: SecurityAlternative, source: Source, method: AuthMethodName): boolean {
  if (!alternative.methods.includes(method)) return false;
  if (source.kind === 'bearer') return alternative.bearer;
  if (source.kind === 'header') return alternative.apiKeyHeader === source.name;
  return alternative.apiKeyQuery === source.name;
}

function missingOf(scopes: readonly string[], granted: ReadonlySet<string>): string[] {
  return scopes.filter((s) => !granted.has(s));
}

function deny(fields: Omit<AuthDenial, 'ok'>): AuthDenial {
  return { ok: false, ...fields };
}

/**
 * Not an async function: a credential its method has cached is decided at once; a promise comes back
 * only when the method has to look something up.
 */
export function authenticateCredentials(policy: AuthPolicy, input: CredentialInput, registry: AuthMethodRegistry): MaybePromise<AuthDecision> {
  let source: Source | undefined;
  let value = '';
  let count = 0;
  if (policy.bearer && input.authorization !== undefined) {
    const token = bearerOf(input.authorization);
    if (token !== undefined) {
      source = BEARER;
      value = token;
      count++;
    }
  }
  for (const name of policy.apiKeyHeaders) {
    const given = input.header(name);
    if (given === undefined) continue;
    source = { kind: 'header', name };
    value = given.trim();
    count++;
  }
  for (const name of policy.apiKeyQueries) {
    const given = input.query(name);
    if (given === undefined) continue;
    source = { kind: 'query', name };
    value = given;
    count++;
  }
  if (input.repeated || count > 1) {
    return deny({ status: 400, code: 'CREDENTIAL_AMBIGUOUS', error: 'invalid_request', detail: 'send exactly one credential, once', method: null });
  }
  if (!source) {
    if (policy.anonymous) return ANONYMOUS;
    return deny({ status: 401, code: 'CREDENTIAL_MISSING', detail: policy.hint, method: null });
  }
  const method: AuthMethodName = source.kind === 'bearer' && value.includes('.') && JWT_SHAPE.test(value) ? 'jwt' : 'api-key';
  if (value === '') {
    return deny({
      status: 401,
      code: 'CREDENTIAL_INVALID',
      error: 'invalid_token',
      detail: 'the credential is empty or malformed',
      reason: 'MALFORMED',
      method,
    });
  }
  // The alternatives this credential can satisfy; almost always exactly one, found without an array.
  let matches = 0;
  let only = -1;
  for (let i = 0; i < policy.alternatives.length; i++) {
    if (accepts(policy.alternatives[i]!, source, method) && matches++ === 0) only = i;
  }
  const implementation = registry.get(method);
  if (matches === 0 || !implementation) {
    const why = implementation ? `this operation does not accept ${method} credentials there; ${policy.hint}` : `${method} credentials are not enabled`;
    return deny({ status: 401, code: 'CREDENTIAL_INVALID', error: 'invalid_token', detail: why, reason: 'NOT_ACCEPTED', method });
  }

  let outcome: MaybePromise<AuthOutcome>;
  try {
    outcome = implementation.authenticate(value, matches === 1 ? policy.requirements[only]! : policy.anyAlternative);
  } catch (fault) {
    return unavailable(fault, method);
  }
  const found = source;
  const candidates = matches === 1 ? null : policy.alternatives.filter((a) => accepts(a, found, method));
  if (outcome instanceof Promise) {
    return outcome.then(
      (settled) => decide(settled, candidates, method, input),
      (fault: unknown) => unavailable(fault, method),
    );
  }
  return decide(outcome, candidates, method, input);
}

/** A method that could not check the credential (store or JWKS unreachable): fail closed. */
function unavailable(fault: unknown, method: AuthMethodName): AuthDenial {
  const code: ErrorCode = isStoreUnavailable(fault) ? 'STORE_UNAVAILABLE' : 'AUTH_UNAVAILABLE';
  return deny({ status: 503, code, detail: 'credentials cannot be checked right now; retry later', method, fault });
}

/**
 * The method's outcome → the decision. `candidates` is null when one alternative fit (the method
 * checked its scopes); otherwise the identity must satisfy one of them.
 */
function decide(outcome: AuthOutcome, candidates: readonly SecurityAlternative[] | null, method: AuthMethodName, input: CredentialInput): AuthDecision {
  if (!outcome.ok) {
    const common = { detail: outcome.description, reason: outcome.code, method, ...(outcome.refused ? { refused: outcome.refused } : {}) };
    if (outcome.code === 'ADMIN_KEY_NOT_ALLOWED') return deny({ detail: outcome.description, method, status: 403, code: 'ADMIN_KEY_NOT_ALLOWED' });
    if (outcome.status === 403) {
      return deny({ ...common, status: 403, code: 'INSUFFICIENT_SCOPE', error: 'insufficient_scope', missingScopes: outcome.missingScopes ?? [] });
    }
    if (outcome.status === 429) return deny({ ...common, status: 429, code: 'CREDENTIAL_LIMITED', error: outcome.error });
    if (outcome.status === 503) return deny({ ...common, status: 503, code: 'AUTH_UNAVAILABLE' });
    return deny({ ...common, status: 401, code: 'CREDENTIAL_INVALID', error: outcome.error });
  }
  // The api-key method refuses admin keys itself (precomputed on its cached identity); a token of an
  // admin-consumer client, or carrying the admin scope, is refused here.
  if (method === 'jwt' && isAdminCredential(outcome.identity.consumerName, outcome.identity.scopes)) {
    return deny({ status: 403, code: 'ADMIN_KEY_NOT_ALLOWED', detail: 'admin credentials are for the admin API only', method });
  }
  // A credential without an allowlist pays this one property read; the source address is found only for one with a list.
  const allowlist = outcome.identity.allowlist;
  if (allowlist !== undefined && !allowlist.allows(input.sourceAddress())) {
    return deny({
      status: 403,
      code: 'IP_NOT_ALLOWED',
      detail: 'this credential may not be used from this address',
      reason: 'IP_NOT_ALLOWED',
      method,
      refused: { consumerId: outcome.identity.consumerId, credentialId: outcome.identity.credentialId },
    });
  }
  if (candidates) {
    const granted = new Set(outcome.identity.scopes);
    let fewest: string[] | undefined;
    for (const candidate of candidates) {
      const missing = missingOf(candidate.scopes, granted);
      if (missing.length === 0) return { ok: true, identity: outcome.identity, method };
      if (!fewest || missing.length < fewest.length) fewest = missing;
    }
    return deny({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
      error: 'insufficient_scope',
      detail: `the credential lacks the scope ${fewest!.join(' ')}`,
      reason: 'INSUFFICIENT_SCOPE',
      missingScopes: fewest!,
      method,
      refused: { consumerId: outcome.identity.consumerId, credentialId: outcome.identity.credentialId },
    });
  }
  return { ok: true, identity: outcome.identity, method };
}
