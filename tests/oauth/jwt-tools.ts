// Hand-made JWTs for tests: any header, any claims, signed with any algorithm (or none) — what an
// attacker or an external IdP would send.
import { createHmac, type KeyObject, sign } from 'node:crypto';

export const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
export const encodeJson = (value: unknown) => b64url(JSON.stringify(value));

export type TestAlg = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA' | 'HS256';

export function signature(alg: TestAlg, key: KeyObject | string | Buffer, input: string): Buffer {
  const data = Buffer.from(input);
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return sign('sha384', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', data, key as KeyObject);
    case 'PS256':
      return sign('sha256', data, { key: key as KeyObject, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 });
    case 'EdDSA':
      return sign(null, data, key as KeyObject);
    case 'HS256':
      return createHmac('sha256', key as string | Buffer)
        .update(data)
        .digest();
  }
}

/** A compact JWS with exactly this header and payload. */
export function signJwt(header: Record<string, unknown>, payload: unknown, key: KeyObject | string | Buffer, alg = header.alg as TestAlg): string {
  const input = `${encodeJson(header)}.${typeof payload === 'string' ? b64url(payload) : encodeJson(payload)}`;
  return `${input}.${signature(alg, key, input).toString('base64url')}`;
}

export function decodePart(token: string, index: 0 | 1): any {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8'));
}
