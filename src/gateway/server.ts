// The public listener. A raw node:http handler serves API traffic (the hot path, measured in
// bench/gateway.ts); everything else — the OAuth endpoints and any route another module registers —
// goes to a Fastify instance sharing the same server. A registered Fastify route wins over a base path.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { answerClientError } from '../errors/client-error.js';
import { sendFrameworkError, toProblem } from '../errors/fastify-errors.js';
import { problem, sendProblem, writeProblem } from '../errors/problem.js';
import { acceptableRequestId, nextRequestId } from '../lib/request-id.js';
import { startServerSpan, type Tracer, traceFastify, traceRawRequest } from '../lib/tracing.js';
import type { Logger } from '../logger.js';
import { type ConnectionLimitHooks, type ConnectionLimits, limitConnections } from './connections.js';
import type { GatewayHandler } from './handler.js';
import { isSafePath } from './request-path.js';

export interface PublicServerOptions {
  gateway: GatewayHandler;
  /** The listener's Fastify logger; each request logs through a child of it. */
  log: Logger;
  maxHeaderSize: number;
  /** More header lines than this: 431. Default 100. */
  maxHeaderCount?: number;
  /** Connection limits and timeouts (listen.*); Node's defaults without them. */
  connections?: ConnectionLimits & ConnectionLimitHooks;
  /**
   * Adds routes to the public listener (the OAuth endpoints). Called before the server is ready;
   * routes registered here take precedence over any API base path.
   */
  register?: (server: FastifyInstance) => void | Promise<void>;
  /** Tracing on: a span for every request of the Fastify routes and raw routes (the gateway's own are its handler's). */
  tracer?: Tracer | null;
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

/** True when the raw header list names Host more than once (RFC 9112 §3.2: 400). */
function repeatsHost(rawHeaders: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

/** A head the listener refuses before any route sees it: 431 for too many header lines, 400 for a second Host (checked here off the gateway's path; the gateway checks it in its own pass over the headers). */
function refuseHead(req: IncomingMessage, res: ServerResponse, code: 'HEADERS_TOO_LARGE' | 'BAD_REQUEST', detail: string): void {
  res.setHeader('connection', 'close');
  writeProblem(res, { code, detail, requestId: nextRequestId() });
  req.resume();
}

/** A target with another spelling of a path than the canonical one (see request-path.ts): 400 before any route. */
function refusePath(req: IncomingMessage, res: ServerResponse): void {
  writeProblem(res, {
    code: 'BAD_PATH',
    detail: 'send the path in its canonical form: no dot or empty segment, `;`, `#`, absolute form or encoded unreserved character',
    requestId: nextRequestId(),
  });
  req.resume();
}

export async function buildPublicServer({
  gateway,
  log,
  maxHeaderSize,
  maxHeaderCount = 100,
  register,
  connections,
  tracer = null,
}: PublicServerOptions): Promise<PublicServer> {
  // rawHeaders holds name and value: more entries than this is more header lines than allowed.
  const maxHeaderEntries = maxHeaderCount * 2;
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
    loggerInstance: log as unknown as FastifyBaseLogger,
    genReqId: (req) => acceptableRequestId(req.headers['x-request-id'] as string | undefined) ?? nextRequestId(),
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // Routing errors (a bad %-escape, an over-long parameter) as problem JSON, not Fastify's own body.
    frameworkErrors: sendFrameworkError,
    serverFactory: (fastifyHandler) => {
      server = createServer({ maxHeaderSize }, (req: IncomingMessage, res: ServerResponse) => {
        // Node stops collecting header lines past server.maxHeadersCount without a word; one more
        // than the limit is kept, so a head over it is seen and refused, never served half-read.
        if (req.rawHeaders.length > maxHeaderEntries) return refuseHead(req, res, 'HEADERS_TOO_LARGE', `more than ${maxHeaderCount} header lines`);
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const path = q === -1 ? url : url.slice(0, q);
        const raw = rawPosts.size > 0 && req.method === 'POST' ? rawPosts.get(path) : undefined;
        if (raw) {
          if (repeatsHost(req.rawHeaders)) return refuseHead(req, res, 'BAD_REQUEST', 'more than one Host header');
          const requestId = acceptableRequestId(req.headers['x-request-id'] as string | undefined) ?? nextRequestId();
          if (tracer) {
            const { span, context } = startServerSpan(tracer, req, `POST ${path}`, path, {
              'http.route': path,
              'portcullis.listener': 'public',
              'portcullis.request_id': requestId,
            });
            traceRawRequest(span, context, res, () => raw(req, res, requestId));
          } else raw(req, res, requestId);
        } else if (isReserved(path) || !gateway.handle(req, res)) {
          if (repeatsHost(req.rawHeaders)) return refuseHead(req, res, 'BAD_REQUEST', 'more than one Host header');
          // Fastify routes on the decoded path (`/oauth/%74oken` is /oauth/token, `;x` is cut off):
          // like API paths, its routes are reached by one spelling only.
          if (!isSafePath(path, false)) return refusePath(req, res);
          fastifyHandler(req, res);
        }
      });
      server.maxHeadersCount = maxHeaderCount + 1;
      server.keepAliveTimeout = 72_000;
      if (connections) limitConnections(server, connections, connections);
      return server;
    },
  });

  if (tracer) traceFastify(fastify, tracer, 'public');
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
  fastify.setErrorHandler((error, request, reply) => sendProblem(reply, { ...toProblem(error as Error, request), requestId: String(request.id) }));
  fastify.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { ...problem('ROUTE_NOT_FOUND', `no API or route at ${request.url.split('?')[0]!.slice(0, 200)}`), requestId: String(request.id) }),
  );

  await register?.(fastify);
  await fastify.ready();
  return { fastify, server, isReserved };
}
