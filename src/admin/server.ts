// The admin listener: schema-validated JSON routes, problem JSON errors, OpenAPI 3.1 generated
// from the same schemas, admin-key authentication attached to every route but the few public ones
// (route-access.ts), and one canonical spelling of every path (request-target.ts).
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import type { Actor } from '../audit/log.js';
import { answerClientError } from '../errors/client-error.js';
import { PortcullisError } from '../errors/codes.js';
import { sendFrameworkError, toProblem } from '../errors/fastify-errors.js';
import { problem, sendProblem } from '../errors/problem.js';
import { newId } from '../lib/ids.js';
import { acceptableRequestId } from '../lib/request-id.js';
import { traceFastify } from '../lib/tracing.js';
import { authenticateAdmin } from './auth.js';
import { adminComponents } from './components.js';
import { registerIdempotency } from './idempotency.js';
import type { ReloadRequest } from './reload-schemas.js';
import { nonCanonicalTarget } from './request-target.js';
import { guardRoutes } from './route-access.js';
import { auditRoutes } from './routes/audit.js';
import { clientRoutes } from './routes/clients.js';
import { consumerRoutes } from './routes/consumers.js';
import { importRoutes } from './routes/imports.js';
import { keyRoutes } from './routes/keys.js';
import { memberRoutes } from './routes/members.js';
import { nodeRoutes } from './routes/node.js';
import { reloadRoutes } from './routes/reload.js';
import { usageRoutes } from './routes/usage.js';
import { webhookRoutes } from './routes/webhooks.js';
import { buildAdminSerializer } from './schema-compilers.js';
import { adminValidators, checkInputDepth, checkLimitSettings } from './validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated admin; reading it on a request no authentication ran for throws, and only its own claims may be added. */
    actor: Actor;
  }
}

export interface AdminServerOptions {
  /** Skip admin-key authentication and act as this actor: the CLI working on the local store. */
  trustedActor?: Actor;
  bodyLimit?: number;
  /** Extra routes on the admin listener (health, metrics); they need an admin key unless listed in `publicPaths`. */
  register?: (server: FastifyInstance) => void;
  /** Paths of `register`'s routes anyone may GET, e.g. `/healthz`. */
  publicPaths?: readonly string[];
  /** What POST /admin/v1/reload runs; without it the route answers 409 RELOAD_UNAVAILABLE (no config file here). */
  reload?: ReloadRequest;
  /** Under a supervisor: asks it for a rolling restart of the node's workers (`POST /admin/v1/restart`). */
  rollingRestart?: () => void;
}

export const OPENAPI_PATH = '/admin/v1/openapi.json';

export async function buildAdminServer(app: App, options: AdminServerOptions = {}): Promise<FastifyInstance> {
  // Typed by the TypeBox provider: each route's request and reply types come from its schema.
  const server = Fastify({
    loggerInstance: app.logs.child({ listener: 'admin' }) as unknown as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? app.config.admin.bodyLimit,
    genReqId: (req) => acceptableRequestId(req.headers['x-request-id'] as string | undefined) ?? newId('req'),
    return503OnClosing: true,
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: answerClientError,
    // Compiled once a process, not once a server (schema-compilers.ts).
    schemaController: { compilersFactory: { buildSerializer: buildAdminSerializer } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (app.tracer) traceFastify(server, app.tracer, 'admin');
  server.setValidatorCompiler(adminValidators());
  server.removeContentTypeParser('text/plain');

  // Before any other hook or route: every route registered from here on needs an admin key unless
  // its path is on the public list.
  const trustedActor = options.trustedActor;
  const { authenticateRequest } = guardRoutes(server, {
    publicPaths: [OPENAPI_PATH, ...(options.publicPaths ?? [])],
    authenticate: trustedActor ? async () => trustedActor : (request) => authenticateAdmin(request, app.verifyKey),
  });

  // The first hook of every request, routed or not. The router has matched a route by the decoded
  // path, but nothing of that route (its body parsing, its handler) runs for a target that is not
  // the canonical spelling of a path; then the matched route says whether a key is needed.
  server.addHook('onRequest', async function admission(request, reply) {
    const reason = nonCanonicalTarget(request.url);
    if (reason) throw new PortcullisError('BAD_PATH', reason);
    await authenticateRequest(request, reply);
  });
  // Before any route exists: it wraps the handler of every write route, inside authentication's.
  registerIdempotency(server, app);

  for (const schema of Object.values(adminComponents)) server.addSchema(schema);
  await server.register(fastifySwagger, {
    // A named schema keeps its name in the document (the default would be `def-<n>`).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Portcullis admin API',
        version: 'v1',
        description: 'Manage consumers, API keys and audit events. Errors are RFC 9457 problem JSON with a stable `code`.',
      },
      components: { securitySchemes: { adminKey: { type: 'http', scheme: 'bearer', description: 'An API key with the portcullis:admin scope' } } },
      security: [{ adminKey: [] }],
    },
  });

  server.setErrorHandler((error, request, reply) => {
    const body = toProblem(error as Error, request);
    if (body.status === 401) reply.header('www-authenticate', 'Bearer realm="portcullis-admin"');
    return sendProblem(reply, { ...body, requestId: String(request.id) });
  });
  server.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      ...problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]!.slice(0, 200)} is not a route`),
      requestId: String(request.id),
    }),
  );

  server.addHook('preParsing', async (request) => {
    const coding = request.headers['content-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
      throw new PortcullisError('UNSUPPORTED_MEDIA_TYPE', 'request bodies are not accepted with a Content-Encoding');
    }
  });
  server.addHook('preValidation', checkInputDepth);
  server.addHook('preHandler', checkLimitSettings);
  server.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-request-id', String(_request.id));
    reply.header('cache-control', 'no-store');
    return payload;
  });

  consumerRoutes(server, app);
  keyRoutes(server, app);
  auditRoutes(server, app);
  usageRoutes(server, app);
  clientRoutes(server, app);
  memberRoutes(server, app);
  importRoutes(server, app);
  webhookRoutes(server, app);
  reloadRoutes(server, options.reload);
  nodeRoutes(server, app, options.rollingRestart);
  options.register?.(server);

  server.get(OPENAPI_PATH, { schema: { hide: true } }, async () => server.swagger());
  await server.ready();
  return server;
}
