// Reads portcullis.yaml (or none: the demo), applies PORTCULLIS_* environment overrides, fills
// defaults and validates. A bad value fails fast with its field path.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { rateSettingProblem } from '../limits/settings.js';
import { type Config, ConfigSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or null when running on defaults. */
  path: string | null;
  /** No config file: the zero-setup demo. */
  demo: boolean;
}

const DEFAULT_PATH = 'portcullis.yaml';

/** `keys.cache.ttl` → `PORTCULLIS_KEYS_CACHE_TTL`. */
export function envName(path: string[]): string {
  return ['PORTCULLIS', ...path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())].join('_');
}

function leafTypes(schema: TSchema): string[] {
  if (schema[Kind] === 'Union') return (schema.anyOf as TSchema[]).flatMap(leafTypes);
  return [schema[Kind] as string];
}

function coerce(raw: string, schema: TSchema): unknown {
  const kinds = leafTypes(schema);
  if (kinds.includes('Array') || kinds.includes('Object')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if ((kinds.includes('Integer') || kinds.includes('Number')) && /^-?[0-9]+(\.[0-9]+)?$/.test(raw)) return Number(raw);
  if (kinds.includes('Boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/**
 * Copies every PORTCULLIS_* variable that names a config field into `target`, and notes which
 * variable set each field (`admin.port` → `PORTCULLIS_ADMIN_PORT`) so that errors can name it.
 */
function applyEnv(schema: TSchema, target: Record<string, unknown>, env: NodeJS.ProcessEnv, fromEnv: Map<string, string>, path: string[] = []): void {
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  for (const [name, child] of Object.entries(properties)) {
    const childPath = [...path, name];
    if (child[Kind] === 'Object' && child.properties) {
      const existing = target[name];
      const nested = existing && typeof existing === 'object' ? (existing as Record<string, unknown>) : {};
      applyEnv(child, nested, env, fromEnv, childPath);
      if (Object.keys(nested).length > 0) target[name] = nested;
      continue;
    }
    const variable = envName(childPath);
    const raw = env[variable];
    if (raw === undefined) continue;
    target[name] = coerce(raw, child);
    fromEnv.set(childPath.join('.'), variable);
  }
}

/** The variable that set `field` or the object or list holding it (`apis.0.upstream` ← `PORTCULLIS_APIS`). */
function variableOf(field: string, fromEnv: ReadonlyMap<string, string>): string | undefined {
  for (const [path, variable] of fromEnv) {
    if (field === path || field.startsWith(`${path}.`)) return variable;
  }
  return undefined;
}

/** One error line per field; those set from the environment name their variable, not `source`. */
function invalid(source: string, problems: Array<{ field: string; message: string }>, fromEnv: ReadonlyMap<string, string>): ConfigError {
  const lines = new Map<string, string>();
  for (const { field, message } of problems) {
    const variable = variableOf(field, fromEnv);
    lines.set(`  ${variable ? `${variable} (${field})` : field}: ${message}`, variable ? 'the environment' : source);
  }
  const shown = [...lines].slice(0, 10);
  const sources = [source, 'the environment'].filter((from) => shown.some(([, lineFrom]) => lineFrom === from));
  return new ConfigError(`invalid configuration in ${sources.join(' and ')}:\n${shown.map(([line]) => line).join('\n')}`);
}

/** `source` names where the input came from; `fromEnv` the fields environment variables set in it. */
export function validateConfig(input: unknown, source: string, fromEnv: ReadonlyMap<string, string> = new Map()): Config {
  const value = Value.Default(ConfigSchema, Value.Clone(input ?? {}));
  const errors = [...Value.Errors(ConfigSchema, value)];
  if (errors.length > 0) {
    const problems = errors.map((e) => ({
      field: e.path.replace(/^\//, '').replace(/\//g, '.') || '(root)',
      message: `${e.message}${e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : ''}`,
    }));
    throw invalid(source, problems, fromEnv);
  }
  const config = value as Config;
  // Bounds a schema cannot state (1s ≤ window ≤ 365d, limit × window): the ones the admin API holds too.
  const limitProblems = config.apis.flatMap((api, index) => {
    const problem = api.rateLimit ? rateSettingProblem(api.rateLimit) : undefined;
    return problem ? [{ field: ['apis', index, 'rateLimit', problem.field].filter((p) => p !== '').join('.'), message: problem.message }] : [];
  });
  if (limitProblems.length > 0) throw invalid(source, limitProblems, fromEnv);
  const portalProblems = config.portal.enabled ? apiOverlaps(config, 'portal.path', config.portal.path, 'set portal.enabled: false') : [];
  if (portalProblems.length > 0) throw invalid(source, portalProblems, fromEnv);
  const leakProblems = config.leaks.github.enabled ? leakPathOverlaps(config) : [];
  if (leakProblems.length > 0) throw invalid(source, leakProblems, fromEnv);
  return config;
}

/** One path inside the other, segment-wise (`/` contains every path). */
function overlaps(a: string, b: string): boolean {
  const within = (inner: string, outer: string) => outer === '/' || inner === outer || inner.startsWith(`${outer}/`);
  return within(a, b) || within(b, a);
}

/** A route of ours at `path` would shadow an API's paths (or the other way round): both are named. */
function apiOverlaps(config: Config, field: string, path: string, remedy: string): Array<{ field: string; message: string }> {
  return config.apis.flatMap((api, index) => {
    const basePath = api.basePath.length > 1 ? api.basePath.replace(/\/$/, '') : api.basePath;
    if (!overlaps(path, basePath)) return [];
    return [{ field, message: `${path} overlaps apis.${index}.basePath ${api.basePath} (API ${api.name}); move one of them or ${remedy}` }];
  });
}

/** The GitHub secret-scanning endpoint may not sit under an API, the portal or the OAuth routes. */
function leakPathOverlaps(config: Config): Array<{ field: string; message: string }> {
  const field = 'leaks.github.path';
  const path = config.leaks.github.path;
  const problems = apiOverlaps(config, field, path, 'set leaks.github.enabled: false');
  const taken = [
    ...(config.portal.enabled ? [['portal.path', config.portal.path]] : []),
    ['the OAuth endpoints', '/oauth'],
    ['the OAuth documents', '/.well-known'],
  ];
  for (const [name, other] of taken) {
    if (overlaps(path, other!)) problems.push({ field, message: `${path} overlaps ${name} (${other}); choose another path` });
  }
  return problems;
}

export function loadConfig(options: { path?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.path ?? env.PORTCULLIS_CONFIG;
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, DEFAULT_PATH);
  let raw: Record<string, unknown> = {};
  let found = false;
  if (existsSync(path)) {
    found = true;
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${path} is not valid YAML: ${(error as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${path}: the top level must be a mapping`);
      raw = parsed as Record<string, unknown>;
    }
  } else if (explicit) {
    const from = options.path === undefined ? ' (from PORTCULLIS_CONFIG)' : '';
    throw new ConfigError(`config file not found: ${path}${from}; create one with \`npx portcullis init\``);
  }
  const fromEnv = new Map<string, string>();
  applyEnv(ConfigSchema, raw, env, fromEnv);
  const config = validateConfig(raw, found ? path : 'the defaults', fromEnv);
  return { config, path: found ? path : null, demo: !found };
}
