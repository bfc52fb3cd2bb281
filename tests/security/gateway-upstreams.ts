// Real upstream routers for the gateway's path tests: Express 5, Fastify and two hand-rolled routers
// over node's WHATWG URL parsing (one matching the pathname as it is, one decoding each segment
// first). Every one serves the same route table and names the route it ran in `x-route`
// ('none' when it ran no handler), so a test can compare it with the operation the gateway authorised.
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import express from 'express';
import Fastify from 'fastify';

/** A route: its name, its path in OpenAPI form (`{id}`), and the scope the test's document gives it. */
export interface RouteSpec {
  name: string;
  path: string;
  /** false: served by the upstream routers but not in the OpenAPI document. */
  document?: boolean;
}

export interface RunningRouter {
  name: string;
  url: string;
  close(): Promise<void>;
}

const colonForm = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closing(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Express 5 with its defaults: case-insensitive, non-strict (a trailing slash is optional). */
export async function startExpress(routes: readonly RouteSpec[]): Promise<RunningRouter> {
  const app = express();
  for (const route of routes) app.get(colonForm(route.path), (_req, res) => void res.set('x-route', route.name).send(route.name));
  app.use((_req, res) => void res.status(404).set('x-route', 'none').send('none'));
  // Express's own error answers (a bad escape in a parameter) ran no route handler.
  app.use(
    (_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(400).set('x-route', 'none').send('error'),
  );
  const server = createServer(app);
  return { name: 'express', url: await listening(server), close: closing(server) };
}

/** Fastify with its defaults (find-my-way: case-sensitive, decodes the path, a trailing slash is significant). */
export async function startFastify(routes: readonly RouteSpec[]): Promise<RunningRouter> {
  const app = Fastify();
  for (const route of routes) {
    app.get(colonForm(route.path), async (_request, reply) => {
      reply.header('x-route', route.name);
      return route.name;
    });
  }
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).header('x-route', 'none').send('none'));
  app.setErrorHandler(async (_error, _request, reply) => reply.code(400).header('x-route', 'none').send('error'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  return { name: 'fastify', url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/**
 * A router on `new URL(req.url, base).pathname` (which drops a fragment, resolves dot segments and
 * turns `\` into `/`): literal segments first, `{param}` for any non-empty segment, case-sensitive.
 * With `decode`, each segment is percent-decoded before it is compared.
 */
export async function startWhatwg(routes: readonly RouteSpec[], decode: boolean): Promise<RunningRouter> {
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const table = routes.map((route) => ({
    name: route.name,
    segments: route.path
      .split('/')
      .slice(1)
      .map((p) =>
        p.includes('{')
          ? new RegExp(
              `^${p
                .split(/\{\w+\}/)
                .map(escapeRegExp)
                .join('[^/]+')}$`,
            )
          : p,
      ),
  }));
  const literals = (pattern: Array<string | RegExp>) => pattern.filter((p) => typeof p === 'string').length;
  const server = createServer((req, res) => {
    let route = 'none';
    try {
      const segments = new URL(req.url ?? '/', 'http://upstream.test').pathname
        .split('/')
        .slice(1)
        .map((s) => (decode ? decodeURIComponent(s) : s));
      const fits = (pattern: Array<string | RegExp>) =>
        pattern.length === segments.length && pattern.every((p, i) => (typeof p === 'string' ? p === segments[i] : p.test(segments[i]!)));
      const found = table.filter((r) => fits(r.segments)).sort((a, b) => literals(b.segments) - literals(a.segments))[0];
      if (found) route = found.name;
    } catch {
      route = 'none';
    }
    res.writeHead(route === 'none' ? 404 : 200, { 'x-route': route });
    res.end(route);
  });
  return { name: decode ? 'whatwg-decoded' : 'whatwg', url: await listening(server), close: closing(server) };
}

/** Each operation needs its own scope `op:<name>`. */
export function documentOf(routes: readonly RouteSpec[]): string {
  const paths = routes
    .filter((r) => r.document !== false)
    .map((r) => `  ${r.path}:\n    get: { operationId: ${r.name}, security: [{ bearer: ['op:${r.name}'] }] }`)
    .join('\n');
  return `openapi: 3.1.0\ninfo: { title: X, version: '1' }\ncomponents:\n  securitySchemes:\n    bearer: { type: http, scheme: bearer }\npaths:\n${paths}\n`;
}

/**
 * Sends bytes as they are (no client-side normalisation of the target or the headers) and reads the
 * answer until the server closes: unlike tests/gateway/helpers' sendRaw it does not half-close the
 * socket first, which node's server takes as the client going away before a proxied answer is back.
 * Every head sent with it says `Connection: close`.
 */
export function exchange(baseUrl: string, head: string | Buffer): Promise<{ status: number; text: string }> {
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
    socket.write(head);
  });
}

/** The status, the upstream's `x-route` (undefined when the gateway answered) and the problem code. */
export async function get(baseUrl: string, target: string, key: string): Promise<{ status: number; route: string | undefined; code: string | undefined }> {
  const head = Buffer.concat([
    Buffer.from('GET '),
    Buffer.from(target, 'latin1'),
    Buffer.from(` HTTP/1.1\r\nHost: ${new URL(baseUrl).host}\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`),
  ]);
  const { status, text } = await exchange(baseUrl, head);
  const route = /\r\nx-route: ([\w-]+)/i.exec(text)?.[1];
  const code = /"code":"(\w+)"/.exec(text)?.[1];
  return { status, route, code };
}
