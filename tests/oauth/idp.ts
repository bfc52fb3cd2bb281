// A test identity provider on 127.0.0.1: serves a JWKS (counting every request by path), signs tokens
// with its keys, can rotate keys, hang, fail or go away — what Auth0, Cognito or Keycloak look like
// to the gateway.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signJwt, type TestAlg } from './jwt-tools.js';

export interface IdpKey {
  kid: string;
  alg: TestAlg;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export interface TestIdp {
  url: string;
  issuer: string;
  jwksUri: string;
  /** Requests per path, e.g. requests['/jwks.json']. */
  requests: Record<string, number>;
  keys: IdpKey[];
  mode: 'ok' | 'error' | 'hang';
  addKey(alg?: TestAlg, kid?: string): IdpKey;
  /** A token signed with `key` (default: the first), claims as given. */
  sign(claims: Record<string, unknown>, options?: { key?: IdpKey; header?: Record<string, unknown> }): string;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestIdp(): Promise<TestIdp> {
  const idp = {
    requests: {} as Record<string, number>,
    keys: [] as IdpKey[],
    mode: 'ok' as TestIdp['mode'],
  } as TestIdp;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    idp.requests[path] = (idp.requests[path] ?? 0) + 1;
    if (idp.mode === 'hang') return;
    if (idp.mode === 'error' || path !== '/jwks.json') {
      res.writeHead(idp.mode === 'error' ? 500 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: idp.keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp.url = url;
  idp.issuer = `${url}/`;
  idp.jwksUri = `${url}/jwks.json`;
  idp.addKey = (alg = 'ES256', kid = `idp-key-${++counter}`) => {
    const pair =
      alg === 'RS256' || alg === 'PS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' });
    const key: IdpKey = { kid, alg, privateKey: pair.privateKey, publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
    idp.keys.push(key);
    return key;
  };
  idp.sign = (claims, options = {}) => {
    const key = options.key ?? idp.keys[0]!;
    return signJwt({ alg: key.alg, typ: 'JWT', kid: key.kid, ...options.header }, claims, key.privateKey, key.alg);
  };
  idp.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return idp;
}
