// Reads an OpenAPI 3.0/3.1 document (YAML or JSON) at boot. Only local `$ref`s (`#/…`) are followed;
// anything else fails fast with the file and the pointer, like a bad config value.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** A parsed YAML/JSON document: every field is checked where it is read. */
export interface OpenApiDocument {
  [field: string]: unknown;
  paths?: Record<string, unknown>;
  components?: { securitySchemes?: Record<string, unknown> };
}

export class OpenApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiError';
  }
}

export function parseOpenApi(text: string, source: string): OpenApiDocument {
  let document: unknown;
  try {
    document = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new OpenApiError(`${source} is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw new OpenApiError(`${source}: the document must be an object`);
  const version = (document as OpenApiDocument).openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    throw new OpenApiError(`${source}: openapi must be 3.0.x or 3.1.x (got ${JSON.stringify(version ?? null)})`);
  }
  const paths = (document as OpenApiDocument).paths;
  if (paths !== undefined && (typeof paths !== 'object' || paths === null || Array.isArray(paths))) {
    throw new OpenApiError(`${source}: paths must be an object`);
  }
  return document as OpenApiDocument;
}

export function loadOpenApi(path: string): OpenApiDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new OpenApiError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseOpenApi(text, path);
}

/** Follows `$ref: "#/…"` (JSON pointer, chains included) until a plain object. */
export function resolveRef<T = unknown>(document: OpenApiDocument, value: unknown, source: string): T {
  let current = value;
  for (let hops = 0; ; hops++) {
    const ref = current !== null && typeof current === 'object' ? (current as { $ref?: unknown }).$ref : undefined;
    if (typeof ref !== 'string') break;
    if (hops > 32) throw new OpenApiError(`${source}: $ref cycle at ${ref}`);
    if (!ref.startsWith('#/')) throw new OpenApiError(`${source}: only local $ref (#/…) is supported, got ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), document);
    if (current === undefined) throw new OpenApiError(`${source}: $ref ${ref} points at nothing`);
  }
  return current as T;
}
