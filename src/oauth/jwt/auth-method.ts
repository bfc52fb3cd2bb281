// The gateway's `jwt` auth method: a bearer JWT (ours or a trusted IdP's) → the consumer's identity,
// or a denial value with the RFC 6750 error to put in WWW-Authenticate. Not an async function: a
// cached token is answered without a coroutine.
import type { AuthMethod, AuthOutcome, AuthRequirements } from '../../auth/types.js';
import type { MaybePromise } from '../../lib/maybe-promise.js';
import { JWT_DENIAL_CODES, type JwtDenial } from './denials.js';
import type { Accepted, Evaluation, TokenEvaluator } from './evaluate-token.js';

type Denied = Extract<AuthOutcome, { ok: false }>;

function denied(denial: JwtDenial): Denied {
  const status = JWT_DENIAL_CODES[denial.code];
  return { ok: false, status, code: denial.code, error: status === 403 ? 'insufficient_scope' : 'invalid_token', description: denial.description };
}

// The evaluator answers a cached token with the same Accepted object each time, so the success
// outcome built from it is kept with it rather than rebuilt per request.
const outcomes = new WeakMap<Accepted, AuthOutcome>();

/** Audience and scope requirements of the operation against an evaluated token. Pure. */
export function authorize(result: Evaluation, requirements: AuthRequirements): AuthOutcome {
  if (!result.ok) return denied(result);
  // A valid token refused here is counted in usage as its consumer's.
  const refused = { consumerId: result.identity.consumerId, credentialId: result.identity.credentialId };
  if (requirements.audience !== undefined && !result.token.audiences.has(requirements.audience)) {
    return { ...denied({ ok: false, code: 'TOKEN_AUDIENCE_MISMATCH', description: 'the token is not meant for this API (aud)' }), refused };
  }
  const required = requirements.scopes;
  for (let i = 0; i < required.length; i++) {
    if (!result.scopeSet.has(required[i]!)) {
      const missingScopes = required.filter((s) => !result.scopeSet.has(s));
      return { ...denied({ ok: false, code: 'INSUFFICIENT_SCOPE', description: `missing scope: ${missingScopes.join(' ')}` }), missingScopes, refused };
    }
  }
  let outcome = outcomes.get(result);
  if (outcome === undefined) {
    outcome = { ok: true, identity: result.identity };
    outcomes.set(result, outcome);
  }
  return outcome;
}

export function createJwtAuthMethod({ evaluateToken }: { evaluateToken: TokenEvaluator }): AuthMethod {
  return {
    name: 'jwt',
    authenticate(credential: string, requirements: AuthRequirements): MaybePromise<AuthOutcome> {
      const result = evaluateToken(credential);
      return result instanceof Promise ? result.then((r) => authorize(r, requirements)) : authorize(result, requirements);
    },
  };
}
