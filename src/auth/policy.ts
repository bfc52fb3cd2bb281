// What an operation accepts: alternatives of (where the credential is, which methods, which scopes),
// compiled once at boot from the API's config or its OpenAPI `security`.
import type { AuthMethodName, AuthRequirements } from './types.js';

/** One way to satisfy an operation (one OpenAPI security requirement object). */
export interface SecurityAlternative {
  /** `Authorization: Bearer …` is accepted. */
  bearer: boolean;
  /** Lower-case header name carrying an API key, or null. */
  apiKeyHeader: string | null;
  /** Query parameter carrying an API key (an explicit OpenAPI opt-in), or null. */
  apiKeyQuery: string | null;
  methods: readonly AuthMethodName[];
  scopes: readonly string[];
}

export interface AuthPolicy {
  /** A request without any credential is admitted (OpenAPI `security: []` or `{}`). */
  anonymous: boolean;
  alternatives: readonly SecurityAlternative[];
  audience: string | undefined;
  /** Unions over the alternatives: the places a credential may be. */
  bearer: boolean;
  apiKeyHeaders: readonly string[];
  apiKeyQueries: readonly string[];
  /** "Authorization: Bearer <credential> or X-API-Key", for the 401 detail. */
  hint: string;
  /** What a method is asked to check, per alternative (same order), made once rather than per request. */
  requirements: readonly AuthRequirements[];
  /** When several alternatives fit the credential: the audience only; scopes are compared afterwards. */
  anyAlternative: AuthRequirements;
}

function requirementsOf(scopes: readonly string[], audience: string | undefined): AuthRequirements {
  return Object.freeze(audience === undefined ? { scopes } : { scopes, audience });
}

export function makePolicy(alternatives: SecurityAlternative[], anonymous: boolean, audience: string | undefined): AuthPolicy {
  const headers = [...new Set(alternatives.flatMap((a) => (a.apiKeyHeader ? [a.apiKeyHeader] : [])))];
  const queries = [...new Set(alternatives.flatMap((a) => (a.apiKeyQuery ? [a.apiKeyQuery] : [])))];
  const bearer = alternatives.some((a) => a.bearer);
  const places = [
    ...(bearer ? ['Authorization: Bearer <credential>'] : []),
    ...headers.map((h) => `${h.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())}: <key>`),
    ...queries.map((q) => `?${q}=<key>`),
  ];
  return {
    anonymous,
    alternatives,
    audience,
    bearer,
    apiKeyHeaders: headers,
    apiKeyQueries: queries,
    hint: places.length > 0 ? `send ${places.join(' or ')}` : 'this operation accepts no credential the gateway supports',
    requirements: alternatives.map((a) => requirementsOf(a.scopes, audience)),
    anyAlternative: requirementsOf([], audience),
  };
}
