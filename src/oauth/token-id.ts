// Our tokens' jti: 8 base62 characters of the issue time in milliseconds, then 16 random ones. The
// time part lets revoke-all ("every token issued before now") compare to the millisecond, which the
// whole-second `iat` cannot. Random bytes come from a pooled CSPRNG buffer: one getrandom call per
// ~200 tokens instead of one per token (bench/token.ts).
import { randomFillSync } from 'node:crypto';
import { BASE62_ALPHABET, encodeBase62 } from '../lib/base62.js';

export const TOKEN_ID_PATTERN = /^[0-9A-Za-z]{24}$/;
const RANDOM_CHARS = 16;

const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomByte(): number {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  return pool[offset++]!;
}

export function newTokenId(issuedAtMs: number): string {
  let id = encodeBase62(issuedAtMs, 8);
  while (id.length < 8 + RANDOM_CHARS) {
    const byte = randomByte();
    if (byte < 248) id += BASE62_ALPHABET[byte % 62]; // rejection sampling: no modulo bias
  }
  return id;
}

/** The issue time encoded in one of our jtis; undefined when it is not one. */
export function issuedAtOfTokenId(jti: string): number | undefined {
  if (!TOKEN_ID_PATTERN.test(jti)) return undefined;
  let value = 0;
  for (let i = 0; i < 8; i++) value = value * 62 + BASE62_ALPHABET.indexOf(jti[i]!);
  return value;
}
