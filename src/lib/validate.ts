// Domain checks shared by consumers and keys, independent of the HTTP schemas (the CLI on the store
// and library users reach the services without them), and the walk over any JSON input that the
// admin listener runs on every body, query and path before its schemas see them.
import { PortcullisError } from '../errors/codes.js';
import type { JsonObject } from './json.js';

export const METADATA_MAX_BYTES = 8192;
/** Levels of objects and arrays metadata may nest: `{}` is 1, `{"a":{}}` is 2. */
export const METADATA_MAX_DEPTH = 32;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkString(text: string, where: string): void {
  if (text.includes('\u0000')) throw new PortcullisError('NUL_CHARACTER', `strings must not contain U+0000 (${where})`);
  if (LONE_SURROGATE.test(text)) throw new PortcullisError('INVALID_UNICODE', `strings must be well-formed Unicode; a lone surrogate was found (${where})`);
}

/**
 * Throws NESTING_TOO_DEEP, NUL_CHARACTER or INVALID_UNICODE for a value nested deeper than
 * `maxDepth` or holding, at any depth, a key or string with U+0000 or a lone surrogate (which a
 * store would silently turn into U+FFFD). Iterative, so no document is too deep to be judged.
 */
export function checkJsonInput(value: unknown, maxDepth: number, where: string): void {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (typeof current === 'string') {
      checkString(current, where);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) throw new PortcullisError('NESTING_TOO_DEEP', `${where} nests deeper than ${maxDepth} levels`);
    if (Array.isArray(current)) {
      for (const item of current) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key of Object.keys(current)) {
      checkString(key, where);
      values.push((current as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
}

export function checkMetadata(metadata: JsonObject): JsonObject {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new PortcullisError('VALIDATION_FAILED', 'metadata must be a JSON object');
  }
  checkJsonInput(metadata, METADATA_MAX_DEPTH, 'metadata');
  const size = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (size > METADATA_MAX_BYTES) {
    throw new PortcullisError('METADATA_TOO_LARGE', `metadata is ${size} bytes; the limit is ${METADATA_MAX_BYTES}`);
  }
  return metadata;
}

export function uniqueStrings(values: string[]): string[] {
  return [...new Set(values)];
}
