// `apis` from the config → what the data plane uses per request: normalised base paths, upstream
// origin and path prefix, timeouts in ms, CORS, and auth policies from `auth`/`scopes` or OpenAPI.
// Runs at boot and at each config reload (src/server/reload.ts); every problem is a ConfigError naming the field.

import { dirname, isAbsolute, resolve } from 'node:path';
import { type AuthPolicy, makePolicy } from '../auth/policy.js';
import type { AuthMethodName } from '../auth/types.js';
import { ConfigError } from '../config/load.js';
import { type ApiConfig, DEFAULT_API_KEY_HEADER } from '../config/schema.js';
import { parseDuration } from '../lib/duration.js';
import { loadOpenApi, OpenApiError } from '../lib/openapi.js';
import type { RateSetting } from '../limits/types.js';
import { type CorsPolicy, compileCors } from './cors.js';
import { compileOperations, type OperationMatcher } from './openapi/operations.js';
import { foldForMatch } from './request-path.js';

export interface UpstreamTimeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

export interface CompiledApi {
  name: string;
  /** Without a trailing slash; '' for `/`. */
  basePath: string;
  upstreamOrigin: string;
  /** The upstream URL's own path, without a trailing slash ('' for none). */
  upstreamPath: string;
  stripBasePath: boolean;
  passThrough: boolean;
  /** `;name=value` in path segments is allowed (and ignored when matching operations). */
  allowMatrixParams: boolean;
  /**
   * The base paths of the APIs nested in this one (longer, under it once case and escapes are
   * folded), folded: a path routed here that folds to one of them is a spelling of the other API's
   * path that a case-insensitive upstream would route there. Empty for most APIs.
   */
  nestedBasePaths: readonly string[];
  /** The policy of every path without a document, and of pass-through requests with one. */
  defaultPolicy: AuthPolicy;
  operations: OperationMatcher | null;
  /** Every header that can carry a key for this API (lower-case): never forwarded. */
  credentialHeaders: readonly string[];
  /** Every query parameter that can carry a key: removed before forwarding. */
  credentialQueries: readonly string[];
  timeouts: UpstreamTimeouts;
  cors: CorsPolicy | null;
  /** The API's own rate limit, if any (src/limits). */
  rateLimit: RateSetting | undefined;
}

export const DEFAULT_TIMEOUTS: UpstreamTimeouts = { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 };

function timeoutsOf(timeout: ApiConfig['timeout']): UpstreamTimeouts {
  if (timeout === undefined) return DEFAULT_TIMEOUTS;
  if (typeof timeout === 'string' || typeof timeout === 'number') {
    const ms = parseDuration(timeout);
    return { connectMs: Math.min(ms, DEFAULT_TIMEOUTS.connectMs), headersMs: ms, bodyMs: ms };
  }
  return {
    connectMs: timeout.connect === undefined ? DEFAULT_TIMEOUTS.connectMs : parseDuration(timeout.connect),
    headersMs: timeout.headers === undefined ? DEFAULT_TIMEOUTS.headersMs : parseDuration(timeout.headers),
    bodyMs: timeout.body === undefined ? DEFAULT_TIMEOUTS.bodyMs : parseDuration(timeout.body),
  };
}

export function normaliseBasePath(basePath: string): string {
  return basePath.length > 1 && basePath.endsWith('/') ? basePath.slice(0, -1) : basePath === '/' ? '' : basePath;
}

export interface CompileOptions {
  /** Relative `openapi` paths are resolved against this directory (the config file's). */
  baseDir: string;
  warn: (message: string) => void;
}

export function compileApi(api: ApiConfig, index: number, options: CompileOptions): CompiledApi {
  const field = `apis.${index}`;
  const allowed = api.auth as AuthMethodName[];
  const apiKeyHeader = (api.apiKeyHeader ?? DEFAULT_API_KEY_HEADER).toLowerCase();
  if (apiKeyHeader === 'authorization') throw new ConfigError(`${field}.apiKeyHeader: Authorization is read as a Bearer credential already`);
  const defaultPolicy = makePolicy(
    [
      {
        bearer: true,
        apiKeyHeader: allowed.includes('api-key') ? apiKeyHeader : null,
        apiKeyQuery: null,
        methods: allowed,
        scopes: api.scopes,
      },
    ],
    false,
    api.audience,
  );

  let operations: OperationMatcher | null = null;
  if (api.openapi !== undefined) {
    const path = isAbsolute(api.openapi) ? api.openapi : resolve(options.baseDir, api.openapi);
    try {
      const document = loadOpenApi(path);
      operations = compileOperations(document, {
        document,
        source: path,
        allowed,
        baseScopes: api.scopes,
        audience: api.audience,
        warn: (message) => options.warn(`${field}.openapi: ${message}`),
      });
    } catch (error) {
      if (error instanceof OpenApiError) throw new ConfigError(`${field}.openapi: ${error.message}`);
      throw error;
    }
  }

  const policies = [defaultPolicy, ...(operations?.operations ?? []).flatMap((o) => (o.policy ? [o.policy] : []))];
  const upstream = new URL(api.upstream);
  return {
    name: api.name,
    basePath: normaliseBasePath(api.basePath),
    upstreamOrigin: upstream.origin,
    upstreamPath: upstream.pathname === '/' ? '' : upstream.pathname.replace(/\/$/, ''),
    stripBasePath: api.stripBasePath,
    passThrough: api.passThrough,
    allowMatrixParams: api.allowMatrixParams ?? false,
    nestedBasePaths: [],
    rateLimit: api.rateLimit,
    defaultPolicy,
    operations,
    credentialHeaders: [...new Set([apiKeyHeader, DEFAULT_API_KEY_HEADER, ...policies.flatMap((p) => p.apiKeyHeaders)])],
    credentialQueries: [...new Set(policies.flatMap((p) => p.apiKeyQueries))],
    timeouts: timeoutsOf(api.timeout),
    cors: compileCors(api.cors, apiKeyHeader),
  };
}

/** Every API, longest base path first (the order routing tries them). */
export function compileApis(apis: readonly ApiConfig[], options: CompileOptions): CompiledApi[] {
  const names = new Map<string, number>();
  const basePaths = new Map<string, number>();
  apis.forEach((api, index) => {
    const base = normaliseBasePath(api.basePath);
    if (names.has(api.name)) throw new ConfigError(`apis.${index}.name: ${api.name} is also the name of apis.${names.get(api.name)}`);
    if (basePaths.has(base)) throw new ConfigError(`apis.${index}.basePath: ${api.basePath} is also the base path of apis.${basePaths.get(base)}`);
    names.set(api.name, index);
    basePaths.set(base, index);
  });
  const compiled = apis.map((api, index) => compileApi(api, index, options)).sort((a, b) => b.basePath.length - a.basePath.length);
  for (const api of compiled) {
    const own = foldForMatch(api.basePath) ?? api.basePath;
    api.nestedBasePaths = compiled
      .filter((other) => other.basePath.length > api.basePath.length)
      .map((other) => foldForMatch(other.basePath) ?? other.basePath)
      .filter((other) => own === '' || (other.startsWith(own) && other.charCodeAt(own.length) === 47));
  }
  return compiled;
}

/** True when `path`, folded, is under one of `basePaths` (folded, see CompiledApi.nestedBasePaths). */
export function underFoldedBasePath(path: string, basePaths: readonly string[]): boolean {
  const folded = foldForMatch(path);
  if (folded === null) return false;
  for (const base of basePaths) {
    if (folded.startsWith(base) && (folded.length === base.length || folded.charCodeAt(base.length) === 47)) return true;
  }
  return false;
}

export function configDir(configPath: string | null): string {
  return configPath ? dirname(configPath) : process.cwd();
}
