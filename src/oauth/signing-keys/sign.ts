// Compact JWS signing with node:crypto key objects. The signature is computed on libuv's thread pool
// (the callback form of crypto.sign), so the event loop spends 6–10 µs a token instead of the ~21 µs of
// an ES256 signature and a busy token endpoint can use a second core; bench/token.ts measures this
// against signing on the event loop and against jose. The header is encoded once per key.
import { sign, type KeyObject } from 'node:crypto';
import type { SigningAlg } from '../../store/oauth-types.js';

export type CompactSigner = (claims: object) => Promise<string>;

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function signatureOf(alg: SigningAlg, key: KeyObject, data: Buffer, done: (error: Error | null, signature: Buffer) => void): void {
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, done);
    case 'EdDSA':
      return sign(null, data, key, done);
    case 'RS256':
      return sign('sha256', data, key, done);
  }
}

export function createCompactSigner(alg: SigningAlg, key: KeyObject, header: Record<string, string>): CompactSigner {
  const encodedHeader = b64url(JSON.stringify({ alg, ...header }));
  return function signCompact(claims) {
    const signingInput = `${encodedHeader}.${b64url(JSON.stringify(claims))}`;
    return new Promise((resolve, reject) => {
      signatureOf(alg, key, Buffer.from(signingInput, 'ascii'), (error, signature) => {
        if (error) reject(error);
        else resolve(`${signingInput}.${signature.toString('base64url')}`);
      });
    });
  };
}
