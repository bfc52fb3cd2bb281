// The key format: `<prefix>_<30 base62 random><6 base62 CRC-32>`. The checksum lets a malformed or
// mistyped key be refused before any store query; the prefix lets scanners find leaked keys.

import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
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

/** The CRC-32 (IEEE, reflected 0xEDB88320) table, for checking a checksum while scanning the key. */
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

const crcStep = (crc: number, byte: number) => CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);

/**
 * True when `key` has the shape `<prefix>_<36 base62>` and its checksum matches.
 * It runs before every lookup, so it reads the string once: each base62 character is checked and fed
 * to the CRC in the same pass (every byte is ASCII by then, so char codes are the UTF-8 bytes). This
 * is about twice as fast as slicing the key for `zlib.crc32` (bench/keys.ts, "malformed").
 */
export function isWellFormedKey(key: string, prefix: string): boolean {
  if (typeof key !== 'string' || key.length !== prefix.length + 1 + BODY_LENGTH) return false;
  if (!key.startsWith(prefix) || key.charCodeAt(prefix.length) !== 95 /* _ */) return false;
  let crc = -1;
  for (let i = 0; i <= prefix.length; i++) crc = crcStep(crc, key.charCodeAt(i));
  const split = key.length - CHECKSUM_LENGTH;
  for (let i = prefix.length + 1; i < split; i++) {
    const code = key.charCodeAt(i);
    if (code >= 128 || DIGITS[code]! < 0) return false;
    crc = crcStep(crc, code);
  }
  // Compare numerically: decoding six digits is cheaper than encoding the CRC as text.
  let checksum = 0;
  for (let i = split; i < key.length; i++) {
    const code = key.charCodeAt(i);
    const digit = code < 128 ? DIGITS[code]! : -1;
    if (digit < 0) return false;
    checksum = checksum * 62 + digit;
  }
  return (crc ^ -1) >>> 0 === checksum;
}

/** SHA-256 of the whole key, hex: the only form of a key the store ever holds. */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The same hash as bytes, for constant-time comparison with a stored one. */
export function hashKeyBytes(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** `pcl_AbCd…wxyz`: enough to recognise a key in a listing, useless to an attacker. */
export function maskKey(key: string, prefix: string): string {
  return `${key.slice(0, prefix.length + 1 + 4)}…${key.slice(-4)}`;
}

/** The published pattern secret scanners use to find keys with this prefix. */
export function keyRegex(prefix: string): RegExp {
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${BODY_LENGTH}}\\b`, 'g');
}
