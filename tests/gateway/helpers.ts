// Gateway test harness: a real upstream on listen(0), a real SQLite store in a temp dir, the gateway
// and admin listeners on 127.0.0.1:0, log lines captured.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildAdminServer } from '../../src/admin/server.js';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { createLogger } from '../../src/logger.js';
import { captureLogs, noteSecret } from '../helpers/logs.js';

export interface Upstream {
  url: string;
  server: Server;
  /** The last request the upstream received. */
  last: { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[] } | undefined;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Default: echo the request head as JSON, after draining the body. */
export const echo: UpstreamHandler = (req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};

export async function startUpstream(handler: UpstreamHandler = echo): Promise<Upstream> {
  const upstream: Upstream = {
    url: '',
    server: undefined as unknown as Server,
    last: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        upstream.server.closeAllConnections();
        upstream.server.close(() => resolve());
      }),
  };
  upstream.server = createServer((req, res) => {
    upstream.last = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders };
    handler(req, res);
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
  return upstream;
}

export interface Harness {
  app: App;
  gateway: RunningGateway;
  admin: FastifyInstance;
  adminUrl: string;
  adminKey: string;
  dir: string;
  logs: string[];
  /** A consumer with one key; returns the plaintext key and ids. */
  issueKey(input?: {
    name?: string;
    scopes?: string[];
    metadata?: Record<string, unknown>;
    keyScopes?: string[];
  }): Promise<{ key: string; keyId: string; consumerId: string }>;
  close(): Promise<void>;
}

let counter = 0;

export async function startHarness(config: Record<string, unknown>, options: { files?: Record<string, string> } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-'));
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  const { lines: logs, stream: sink } = captureLogs();
  const validated = validateConfig({ store: `sqlite:${join(dir, 'portcullis.db')}`, log: { level: 'info' }, ...config }, 'test');
  const app = await createApp({ config: validated, logger: createLogger('info', sink) });
  const gateway = await startGateway({ app, baseDir: dir, host: '127.0.0.1', port: 0 });
  const admin = await buildAdminServer(app);
  await admin.listen({ host: '127.0.0.1', port: 0 });
  const adminUrl = `http://127.0.0.1:${(admin.server.address() as AddressInfo).port}`;
  const adminKey = (await app.createAdminKey('test')).key;
  noteSecret(adminKey);
  const actor = { id: 'test', sourceIp: null };
  return {
    app,
    gateway,
    admin,
    adminUrl,
    adminKey,
    dir,
    logs,
    async issueKey(input = {}) {
      const consumer = await app.consumers.create(
        { name: input.name ?? `consumer-${++counter}`, scopes: input.scopes ?? [], metadata: input.metadata ?? {} },
        actor,
      );
      const issued = await app.keys.create(consumer.id, { scopes: input.keyScopes ?? input.scopes ?? [] }, actor);
      noteSecret(issued.key);
      return { key: issued.key, keyId: issued.record.id, consumerId: consumer.id };
    },
    async close() {
      await gateway.close();
      await admin.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json(): any;
}

/** node:http, for what fetch refuses to send (Connection, repeated or odd headers). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]> | Array<[string, string]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = Array.isArray(options.headers) ? [['host', new URL(url).host], ...options.headers].flat() : options.headers;
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: headers as any, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends bytes as they are over TCP (no client-side URL or header normalisation); resolves the status code, or 0 if none came. */
export function sendRaw(baseUrl: string, head: string | Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : 0, text });
    });
    socket.end(head);
  });
}
