// Domain checks shared by consumers and keys, independent of the HTTP schemas (the CLI on the store
// and library users reach the services without them).
import { PortcullisError } from '../errors/codes.js';
import type { JsonObject } from '../store/types.js';

export const METADATA_MAX_BYTES = 8192;

export function checkMetadata(metadata: JsonObject): JsonObject {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new PortcullisError('VALIDATION_FAILED', 'metadata must be a JSON object');
  }
  const size = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (size > METADATA_MAX_BYTES) {
    throw new PortcullisError('METADATA_TOO_LARGE', `metadata is ${size} bytes; the limit is ${METADATA_MAX_BYTES}`);
  }
  return metadata;
}

export function uniqueStrings(values: string[]): string[] {
  return [...new Set(values)];
}
