// A GitHub-like key server for secret-scanning tests: it publishes `{ public_keys: [...] }` on
// 127.0.0.1 with P-256 keys made here, counts its fetches, and signs bodies as GitHub does.

import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SigningKey {
  identifier: string;
  privateKey: KeyObject;
  pem: string;
}

export function newSigningKey(identifier: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { identifier, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** ECDSA with SHA-256 over the exact body bytes, DER, base64: GITHUB-PUBLIC-KEY-SIGNATURE. */
export function signAsGithub(body: string | Buffer, key: SigningKey): Record<string, string> {
  return {
    'github-public-key-identifier': key.identifier,
    'github-public-key-signature': sign('sha256', Buffer.from(body), { key: key.privateKey, dsaEncoding: 'der' }).toString('base64'),
  };
}

export interface KeyServer {
  url: string;
  /** The keys published now; change it to rotate. */
  published: SigningKey[];
  fetches: number;
  /** While set, the server answers 500. */
  failing: boolean;
  close(): Promise<void>;
}

export async function startKeyServer(published: SigningKey[]): Promise<KeyServer> {
  const keyServer: KeyServer = { url: '', published, fetches: 0, failing: false, close: async () => {} };
  const server = createServer((_req, res) => {
    keyServer.fetches++;
    if (keyServer.failing) return void res.writeHead(500).end();
    const body = JSON.stringify({
      public_keys: keyServer.published.map((k, i) => ({ key_identifier: k.identifier, key: k.pem, is_current: i === keyServer.published.length - 1 })),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  keyServer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
  keyServer.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return keyServer;
}
