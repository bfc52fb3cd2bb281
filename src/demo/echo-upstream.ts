// The demo's built-in upstream: answers every request with what it received — method, path, the
// identity headers and the decoded consumer metadata — so the first curl shows what an upstream sees.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoUpstream {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function decodeMetadata(value: string | string[] | undefined): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export async function startEchoUpstream(host = '127.0.0.1'): Promise<EchoUpstream> {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const body = JSON.stringify(
        {
          message: 'Hello from the Portcullis demo upstream. These are the headers the gateway sent me.',
          method: req.method,
          path: req.url,
          bodyBytes: bytes,
          identity: {
            consumerId: req.headers['x-consumer-id'] ?? null,
            consumerName: req.headers['x-consumer-name'] ?? null,
            credentialType: req.headers['x-credential-type'] ?? null,
            credentialId: req.headers['x-credential-id'] ?? null,
            scopes: req.headers['x-scopes'] ?? null,
            metadata: decodeMetadata(req.headers['x-consumer-metadata']) ?? null,
          },
          headers: req.headers,
        },
        null,
        2,
      );
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
