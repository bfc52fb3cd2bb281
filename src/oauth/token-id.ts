// Our tokens' jti: 8 base62 characters of the issue time in milliseconds, then 16 random ones. The
// time part lets revoke-all ("every token issued before now") compare to the millisecond, which the
// whole-second `iat` cannot.
import { BASE62_ALPHABET, encodeBase62, randomBase62 } from '../lib/base62.js';

export const TOKEN_ID_PATTERN = /^[0-9A-Za-z]{24}$/;

export function newTokenId(issuedAtMs: number): string {
  return encodeBase62(issuedAtMs, 8) + randomBase62(16);
}

/** The issue time encoded in one of our jtis; undefined when it is not one. */
export function issuedAtOfTokenId(jti: string): number | undefined {
  if (!TOKEN_ID_PATTERN.test(jti)) return undefined;
  let value = 0;
  for (let i = 0; i < 8; i++) value = value * 62 + BASE62_ALPHABET.indexOf(jti[i]!);
  return value;
}
