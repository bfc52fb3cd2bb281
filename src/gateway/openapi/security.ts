// OpenAPI `security` → AuthPolicy. apiKey (header, or query as an explicit opt-in), http bearer and
// oauth2/openIdConnect map onto the api-key and jwt methods, narrowed to the API's `auth` list.

import { type AuthPolicy, makePolicy, type SecurityAlternative } from '../../auth/policy.js';
import type { AuthMethodName } from '../../auth/types.js';
import { type OpenApiDocument, resolveRef } from '../../lib/openapi.js';

export interface SecurityContext {
  document: OpenApiDocument;
  source: string;
  /** The API's `auth` list. */
  allowed: readonly AuthMethodName[];
  /** The API's `scopes`: required on every operation in addition to its own. */
  baseScopes: readonly string[];
  audience: string | undefined;
  warn: (message: string) => void;
}

function alternativeOf(schemeName: string, scopes: string[], context: SecurityContext, where: string): SecurityAlternative | null {
  const raw = context.document.components?.securitySchemes?.[schemeName];
  if (!raw) {
    context.warn(`${where}: security scheme ${schemeName} is not defined; that alternative never matches`);
    return null;
  }
  const scheme = resolveRef<{ type?: unknown; in?: unknown; name?: unknown; scheme?: unknown }>(context.document, raw, context.source);
  const allScopes = [...new Set([...context.baseScopes, ...scopes])];
  const narrow = (methods: AuthMethodName[]) => methods.filter((m) => context.allowed.includes(m));
  let alternative: SecurityAlternative | null = null;
  if (scheme.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string') {
    const header = scheme.name.toLowerCase();
    alternative =
      header === 'authorization'
        ? { bearer: true, apiKeyHeader: null, apiKeyQuery: null, methods: narrow(['api-key']), scopes: allScopes }
        : { bearer: false, apiKeyHeader: header, apiKeyQuery: null, methods: narrow(['api-key']), scopes: allScopes };
  } else if (scheme.type === 'apiKey' && scheme.in === 'query' && typeof scheme.name === 'string') {
    alternative = { bearer: false, apiKeyHeader: null, apiKeyQuery: scheme.name, methods: narrow(['api-key']), scopes: allScopes };
  } else if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') {
    alternative = { bearer: true, apiKeyHeader: null, apiKeyQuery: null, methods: narrow(['api-key', 'jwt']), scopes: allScopes };
  } else if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') {
    alternative = { bearer: true, apiKeyHeader: null, apiKeyQuery: null, methods: narrow(['jwt']), scopes: allScopes };
  } else {
    context.warn(
      `${where}: security scheme ${schemeName} (${scheme.type}${scheme.in ? ` in ${scheme.in}` : ''}) is not supported; that alternative never matches`,
    );
    return null;
  }
  if (alternative.methods.length === 0) {
    context.warn(`${where}: security scheme ${schemeName} needs an auth method the API does not enable (auth: ${context.allowed.join(', ')})`);
    return null;
  }
  return alternative;
}

/**
 * An operation's `security` (already resolved: the operation's own, else the document's). Each
 * requirement object is an alternative; one naming several schemes (all required at once) is not
 * supported and never matches, which fails closed.
 */
export function policyOfSecurity(security: unknown, context: SecurityContext, where: string): AuthPolicy {
  if (!Array.isArray(security)) {
    context.warn(`${where}: security must be an array; the operation is closed`);
    return makePolicy([], false, context.audience);
  }
  let anonymous = security.length === 0;
  const alternatives: SecurityAlternative[] = [];
  for (const requirement of security) {
    if (!requirement || typeof requirement !== 'object') continue;
    const entries = Object.entries(requirement as Record<string, unknown>);
    if (entries.length === 0) {
      anonymous = true;
      continue;
    }
    if (entries.length > 1) {
      context.warn(`${where}: a requirement needing several schemes at once (${entries.map(([n]) => n).join(' + ')}) is not supported; it never matches`);
      continue;
    }
    const [name, scopes] = entries[0]!;
    const alternative = alternativeOf(name, Array.isArray(scopes) ? scopes.map(String) : [], context, where);
    if (alternative) alternatives.push(alternative);
  }
  return makePolicy(alternatives, anonymous, context.audience);
}
