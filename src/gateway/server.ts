// The public listener. A raw node:http handler serves API traffic (the hot path, measured in
// bench/gateway.ts); everything else — the OAuth endpoints and any route another module registers —
// goes to a Fastify instance sharing the same server. A registered Fastify route wins over a base path.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { problem, toProblem } from '../admin/problem.js';
import { nextRequestId } from './request-id.js';
import type { Logger } from '../logger.js';
import { limitConnections, type ConnectionLimitHooks, type ConnectionLimits } from './connections.js';
import type { GatewayHandler } from './handler.js';
import { problemBody } from './problem.js';
import { acceptableRequestId } from './request-path.js';

export interface PublicServerOptions {
  gateway: GatewayHandler;
  log: Logger;
  maxHeaderSize: number;
  /** Connection limits and timeouts (listen.*); Node's defaults without them. */
  connections?: ConnectionLimits & ConnectionLimitHooks;
  /**
   * Adds routes to the public listener (the OAuth endpoints). Called before the server is ready;
   * routes registered here take precedence over any API base path.
   */
  register?: (server: FastifyInstance) => void | Promise<void>;
}

export interface PublicServer {
  fastify: FastifyInstance;
  server: Server;
  /** True when `path` belongs to a route registered on the Fastify side. */
  isReserved(path: string): boolean;
}

/**
 * A static POST route may also carry `config: { rawHandler }`: the listener then serves it from the raw
 * node:http path (the Fastify handler still answers inject()). It gets the request id Fastify would use.
 */
export type RawRouteHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => void;

const REASONS: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };

/** Answers a request the HTTP parser refused (oversize head → 431, garbage → 400) with problem JSON. */
function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  const requestId = nextRequestId();
  const body = JSON.stringify(problemBody({ code, requestId }));
  const status = code === 'HEADERS_TOO_LARGE' ? 431 : 400;
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function buildPublicServer({ gateway, log, maxHeaderSize, register, connections }: PublicServerOptions): Promise<PublicServer> {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const rawPosts = new Map<string, RawRouteHandler>();
  let server!: Server;

  function isReserved(path: string): boolean {
    if (exact.size === 0 && prefixes.length === 0) return false;
    if (exact.has(path)) return true;
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    return false;
  }

  const fastify: FastifyInstance = Fastify({
    loggerInstance: log.child({ listener: 'public' }) as unknown as FastifyBaseLogger,
    genReqId: (req) => acceptableRequestId(req.headers['x-request-id'] as string | undefined) ?? nextRequestId(),
    return503OnClosing: true,
    clientErrorHandler: onClientError,
    serverFactory: (fastifyHandler) => {
      server = createServer({ maxHeaderSize }, (req: IncomingMessage, res: ServerResponse) => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const path = q === -1 ? url : url.slice(0, q);
        const raw = rawPosts.size > 0 && req.method === 'POST' ? rawPosts.get(path) : undefined;
        if (raw) raw(req, res, acceptableRequestId(req.headers['x-request-id'] as string | undefined) ?? nextRequestId());
        else if (isReserved(path) || !gateway.handle(req, res)) fastifyHandler(req, res);
      });
      server.keepAliveTimeout = 72_000;
      if (connections) limitConnections(server, connections, connections);
      return server;
    },
  });

  fastify.addHook('onRoute', (route) => {
    const url = route.url;
    const dynamic = url.search(/[:*]/);
    if (dynamic === -1) exact.add(url);
    else prefixes.push(url.slice(0, dynamic));
    const rawHandler = (route.config as { rawHandler?: RawRouteHandler } | undefined)?.rawHandler;
    const methods = [route.method].flat();
    if (rawHandler && dynamic === -1 && methods.includes('POST')) rawPosts.set(url, rawHandler);
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', String(request.id));
    return payload;
  });
  fastify.setErrorHandler((error, request, reply) => {
    const body = { ...toProblem(error as Error, request), requestId: String(request.id) };
    if (body.status === 503) reply.header('retry-after', '5');
    return reply.code(body.status).type('application/problem+json').send(body);
  });
  fastify.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({ ...problem('ROUTE_NOT_FOUND', `no API or route at ${request.url.split('?')[0]!.slice(0, 200)}`), requestId: String(request.id) }),
  );

  await register?.(fastify);
  await fastify.ready();
  return { fastify, server, isReserved };
}
