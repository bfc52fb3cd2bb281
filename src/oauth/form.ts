// application/x-www-form-urlencoded parameters of an OAuth request. RFC 6749 §3.2: a parameter must
// not appear twice (RFC 8707 `resource` is the one that may).
import { type OAuthError, oauthError } from './errors.js';

export type FormParams = ReadonlyMap<string, readonly string[]>;

const REPEATABLE = new Set(['resource']);
const MAX_PARAMS = 50;

export function parseForm(body: string): { ok: true; params: FormParams } | OAuthError {
  const params = new Map<string, string[]>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > MAX_PARAMS) return oauthError('invalid_request', 'too many parameters');
    const values = params.get(name);
    if (values) {
      if (!REPEATABLE.has(name)) return oauthError('invalid_request', `the ${name.slice(0, 50)} parameter appears more than once`);
      values.push(value);
    } else params.set(name, [value]);
  }
  return { ok: true, params };
}

/** The single value of a parameter; an empty value counts as absent (RFC 6749 §3.1). */
export function param(params: FormParams, name: string): string | undefined {
  const value = params.get(name)?.[0];
  return value === undefined || value === '' ? undefined : value;
}
