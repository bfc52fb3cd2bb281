// The admin listener: schema-validated JSON routes, problem JSON errors, OpenAPI 3.1 generated
// from the same schemas, admin-key authentication on every /admin/v1 route but the document.
import fastifySwagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Actor } from '../audit/log.js';
import type { App } from '../app.js';
import { PortcullisError } from '../errors/codes.js';
import { newId } from '../lib/ids.js';
import { authenticateAdmin } from './auth.js';
import { registerIdempotency } from './idempotency.js';
import { problem, sendProblem, toProblem } from './problem.js';
import { auditRoutes } from './routes/audit.js';
import { clientRoutes } from './routes/clients.js';
import { consumerRoutes } from './routes/consumers.js';
import { keyRoutes } from './routes/keys.js';
import { usageRoutes } from './routes/usage.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface AdminServerOptions {
  /** Skip admin-key authentication and act as this actor: the CLI working on the local store. */
  trustedActor?: Actor;
  bodyLimit?: number;
  /** Extra routes on the admin listener (health, metrics). */
  register?: (server: FastifyInstance) => void;
}

const OPENAPI_PATH = '/admin/v1/openapi.json';

/** Finds the first string (key or value) holding a NUL character, depth-first. */
function findNul(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some((v) => findNul(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => k.includes('\u0000') || findNul(v, depth + 1));
  }
  return false;
}

function validators() {
  // Bodies are validated as sent: a string "true" is not a boolean. Query strings and path
  // parameters are text by nature, so they are coerced to the declared types.
  const strict = addFormats(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
  const coercing = addFormats(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

export async function buildAdminServer(app: App, options: AdminServerOptions = {}): Promise<FastifyInstance> {
  const server: FastifyInstance = Fastify({
    loggerInstance: app.log.child({ listener: 'admin' }) as unknown as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? app.config.admin.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : newId('req');
    },
    return503OnClosing: true,
  });
  server.setValidatorCompiler(validators());
  server.removeContentTypeParser('text/plain');
  server.decorateRequest('actor', null as unknown as Actor);
  // Before any route exists: it wraps the handler of every write route.
  registerIdempotency(server, app);

  await server.register(fastifySwagger, {
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
    sendProblem(reply, { ...problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]!.slice(0, 200)} is not a route`), requestId: String(request.id) }),
  );

  server.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/admin/v1/') || request.url.startsWith(OPENAPI_PATH)) return;
    request.actor = options.trustedActor ?? (await authenticateAdmin(request, app.verifyKey));
  });
  server.addHook('preValidation', async (request) => {
    if (findNul(request.body) || findNul(request.query) || findNul(request.params)) {
      throw new PortcullisError('NUL_CHARACTER', 'strings must not contain U+0000');
    }
  });
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
  options.register?.(server);

  server.get(OPENAPI_PATH, { schema: { hide: true } }, async () => server.swagger());
  await server.ready();
  return server;
}
