// A new signing key pair for one of the algorithms we sign with, and its public JWK.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { SigningAlg } from '../../store/oauth-types.js';
import type { JsonObject } from '../../store/types.js';

export function generateSigningKeyPair(alg: SigningAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** The public half as a JWK bound to its kid and algorithm (RFC 7517 `use: sig`). */
export function publicJwkOf(publicKey: KeyObject, kid: string, alg: SigningAlg): JsonObject {
  const jwk = publicKey.export({ format: 'jwk' }) as JsonObject;
  return { ...jwk, kid, alg, use: 'sig' };
}
