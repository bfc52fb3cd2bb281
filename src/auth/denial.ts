// How an auth denial is answered, the same by the gateway and by library mode: problem JSON with the
// method's reason and the missing scopes, the RFC 6750 WWW-Authenticate challenge on 400/401/403 and
// Retry-After on 429.
import type { ProblemResponse } from '../errors/problem.js';
import type { AuthDenial } from './authenticate.js';

/** A credential over its limit may try again in a second (its rate window moves on). */
const LIMITED_RETRY_AFTER = '1';

/** A quoted-string parameter value: the characters RFC 9110 allows, nothing that could break out of the quotes. */
function quoted(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

export function challenge(realm: string, denial: Pick<AuthDenial, 'error' | 'missingScopes'>): string {
  let value = `Bearer realm="${quoted(realm)}"`;
  if (denial.error) value += `, error="${denial.error}"`;
  if (denial.error === 'insufficient_scope' && denial.missingScopes && denial.missingScopes.length > 0) {
    value += `, scope="${quoted(denial.missingScopes.join(' '))}"`;
  }
  return value;
}

/** The problem for a denial, its headers added to `headers` (which it keeps first). */
export function denialProblem(
  denial: AuthDenial,
  realm: string,
  requestId: string,
  headers: Record<string, string> | null,
): ProblemResponse & { headers: Record<string, string> } {
  const extra: Record<string, unknown> = {};
  if (denial.reason) extra.reason = denial.reason;
  if (denial.missingScopes) extra.missingScopes = denial.missingScopes;
  const withDenial: Record<string, string> = { ...headers };
  if (denial.status === 401 || denial.status === 403 || denial.status === 400) withDenial['www-authenticate'] = challenge(realm, denial);
  if (denial.status === 429) withDenial['retry-after'] = LIMITED_RETRY_AFTER;
  return { code: denial.code, detail: denial.detail, requestId, extra, headers: withDenial };
}
