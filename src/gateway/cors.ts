// Per-API CORS: preflights are answered by the gateway without a credential (browsers send none);
// other responses, denials included, carry the allow headers so a browser can read them.
import type { ApiConfig } from '../config/schema.js';
import { parseDuration } from '../lib/duration.js';

export interface CorsPolicy {
  anyOrigin: boolean;
  origins: ReadonlySet<string>;
  credentials: boolean;
  methods: string;
  headers: string | null;
  exposeHeaders: string | null;
  maxAge: string;
}

export function compileCors(cors: ApiConfig['cors'], apiKeyHeader: string): CorsPolicy | null {
  if (!cors) return null;
  const options = cors === true ? { origins: ['*'] } : cors;
  const anyOrigin = options.origins.includes('*');
  return {
    anyOrigin,
    origins: new Set(options.origins.filter((o) => o !== '*')),
    credentials: options.credentials ?? false,
    methods: (options.methods ?? ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']).join(', '),
    headers: options.headers ? [...options.headers, 'authorization', apiKeyHeader].join(', ') : null,
    exposeHeaders: ['x-request-id', ...(options.exposeHeaders ?? [])].join(', '),
    maxAge: String(Math.floor(parseDuration(options.maxAge ?? '10m') / 1000)),
  };
}

/** The Access-Control-Allow-Origin value for this origin, or null when it is not allowed. */
function allowedOrigin(policy: CorsPolicy, origin: string): string | null {
  if (policy.origins.has(origin)) return origin;
  if (policy.anyOrigin) return policy.credentials ? origin : '*';
  return null;
}

/** Headers for an actual (non-preflight) response. */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined): Record<string, string> | null {
  if (origin === undefined) return null;
  const allow = allowedOrigin(policy, origin);
  if (!allow) return null;
  const headers: Record<string, string> = { 'access-control-allow-origin': allow, vary: 'Origin' };
  if (policy.credentials) headers['access-control-allow-credentials'] = 'true';
  if (policy.exposeHeaders) headers['access-control-expose-headers'] = policy.exposeHeaders;
  return headers;
}

/** Headers for a preflight answer, or null when the origin is not allowed (the browser then blocks). */
export function preflightHeaders(policy: CorsPolicy, origin: string, requestedHeaders: string | undefined): Record<string, string> | null {
  const allow = allowedOrigin(policy, origin);
  if (!allow) return null;
  const headers: Record<string, string> = {
    'access-control-allow-origin': allow,
    'access-control-allow-methods': policy.methods,
    'access-control-allow-headers': policy.headers ?? requestedHeaders ?? 'authorization, content-type',
    'access-control-max-age': policy.maxAge,
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
  if (policy.credentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}
