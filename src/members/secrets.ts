// Session ids, CSRF tokens and one-time tokens: 256 random bits, base64url. The store keeps only
// their SHA-256 (except the CSRF token, which is no credential on its own: it goes with a session).
import { createHash, randomBytes } from 'node:crypto';

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The shape every secret we issue has; anything else is refused before a store lookup. */
export function isWellFormedSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
