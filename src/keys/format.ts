// The key format: `<prefix>_<30 base62 random><6 base62 CRC-32>`. The checksum lets a malformed or
// mistyped key be refused before any store query; the prefix lets scanners find leaked keys.
import { crc32 } from 'node:zlib';
import { hash } from 'node:crypto';
import { BASE62_ALPHABET, encodeBase62, randomBase62 } from '../lib/base62.js';

export const RANDOM_LENGTH = 30;
export const CHECKSUM_LENGTH = 6;
export const PREFIX_PATTERN = '^[a-z][a-z0-9]{0,15}$';
const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;

/** CRC-32 (IEEE) of `<prefix>_<random30>` in base62, six characters. */
export function checksumOf(prefixAndRandom: string): string {
  return encodeBase62(crc32(prefixAndRandom), CHECKSUM_LENGTH);
}

export function generateKey(prefix: string): string {
  const head = `${prefix}_${randomBase62(RANDOM_LENGTH)}`;
  return head + checksumOf(head);
}

/** Base62 digit values by character code; -1 for anything else. */
const DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < 62; i++) DIGITS[BASE62_ALPHABET.charCodeAt(i)] = i;

function base62Digit(code: number): number {
  return code < 128 ? DIGITS[code]! : -1;
}

/**
 * True when `key` has the shape `<prefix>_<36 base62>` and its checksum matches.
 * Pure and allocation-light: it runs before every lookup.
 */
export function isWellFormedKey(key: string, prefix: string): boolean {
  if (typeof key !== 'string' || key.length !== prefix.length + 1 + BODY_LENGTH) return false;
  if (!key.startsWith(prefix) || key.charCodeAt(prefix.length) !== 95 /* _ */) return false;
  const split = key.length - CHECKSUM_LENGTH;
  for (let i = prefix.length + 1; i < split; i++) {
    if (base62Digit(key.charCodeAt(i)) < 0) return false;
  }
  // Compare numerically: decoding six digits is cheaper than encoding the CRC as text.
  let checksum = 0;
  for (let i = split; i < key.length; i++) {
    const digit = base62Digit(key.charCodeAt(i));
    if (digit < 0) return false;
    checksum = checksum * 62 + digit;
  }
  return crc32(key.slice(0, split)) === checksum;
}

/** SHA-256 of the whole key, hex: the only form of a key the store ever holds. */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** `pcl_AbCd…wxyz`: enough to recognise a key in a listing, useless to an attacker. */
export function maskKey(key: string, prefix: string): string {
  return `${key.slice(0, prefix.length + 1 + 4)}…${key.slice(-4)}`;
}

/** The published pattern secret scanners use to find keys with this prefix. */
export function keyRegex(prefix: string): RegExp {
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${BODY_LENGTH}}\\b`, 'g');
}
