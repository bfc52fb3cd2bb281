// The OAuth endpoints on the public listener, as one encapsulated Fastify plugin: POST /oauth/token,
// /oauth/introspect, /oauth/revoke (form-encoded, RFC 6749 error bodies, Cache-Control: no-store),
// and GET /.well-known/jwks.json and /.well-known/oauth-authorization-server (RFC 8414), whose document
// is also served at /.well-known/openid-configuration for clients that discover only that way.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../audit/log.js';
import { bearerOf, STRICT_TOKEN68_BEARER } from '../auth/bearer.js';
import type { MaybePromise } from '../lib/maybe-promise.js';
import { accessLogWriter } from '../logger.js';
import type { OAuth } from './create-oauth.js';
import { type OAuthError, oauthError } from './errors.js';
import { type FormParams, param, parseForm } from './form.js';
import type { IntrospectionCaller } from './introspect.js';
import { sourceAddressOf } from './source-address.js';
import { unavailableOf } from './token-endpoint.js';
import { createRawTokenHandler } from './token-http.js';

export interface OAuthRouteDeps {
  oauth: OAuth;
  /** True when `key` is an admin key (scope portcullis:admin): operators may introspect any token. */
  isAdminKey?: (key: string) => MaybePromise<{ valid: boolean; keyId?: string }>;
  /** Form bodies above this many bytes are refused. */
  bodyLimit?: number;
  /** One log line per request (like the gateway's access log); default true. */
  accessLog?: boolean;
}

/** The client a request authenticated as, for the access log. */
const CLIENT_ID = Symbol('oauth client id');
type WithClient = FastifyRequest & { [CLIENT_ID]?: string };

const FORM = 'application/x-www-form-urlencoded';

function sendError(reply: FastifyReply, e: OAuthError): FastifyReply {
  if (e.basicChallenge) reply.header('www-authenticate', 'Basic realm="portcullis", charset="UTF-8"');
  if (e.retryAfterSeconds !== undefined) reply.header('retry-after', String(e.retryAfterSeconds));
  return reply
    .code(e.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json')
    .send({ error: e.error, error_description: e.description });
}

function formOf(request: FastifyRequest): { ok: true; params: FormParams } | OAuthError {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== FORM || typeof request.body !== 'string') return oauthError('invalid_request', `send the parameters as ${FORM}`);
  return parseForm(request.body);
}

export async function registerOAuthRoutes(server: FastifyInstance, deps: OAuthRouteDeps): Promise<void> {
  const { oauth } = deps;
  const cacheSeconds = Math.floor(oauth.settings.jwksCacheMaxAgeMs / 1000);

  const accessLog = deps.accessLog ?? true;
  const log = server.log;

  // Fastify's two info lines per request are replaced by one access-log line (the same fields as the
  // gateway's); warnings and errors still go through the request logger.
  await server.register(
    async (scope) => {
      if (accessLog) {
        const writeAccessLog = accessLogWriter(log, 'oauth request');
        scope.addHook('onResponse', async (request, reply) => {
          writeAccessLog({
            requestId: String(request.id),
            method: request.method,
            path: request.url.split('?')[0]!.slice(0, 200),
            status: reply.statusCode,
            clientId: (request as WithClient)[CLIENT_ID] ?? null,
            ms: Math.round(reply.elapsedTime * 10) / 10,
          });
        });
      }

      const bodyLimit = deps.bodyLimit ?? 16 * 1024;
      if (scope.hasContentTypeParser(FORM)) scope.removeContentTypeParser(FORM);
      scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));

      scope.setErrorHandler((error, request, reply) => {
        const e = error as { statusCode?: number; code?: string };
        const unavailable = unavailableOf(error);
        if (unavailable) return sendError(reply, unavailable);
        if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, oauthError('invalid_request', 'the request body is too large'));
        if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
          return sendError(reply, oauthError('invalid_request', `send the parameters as ${FORM}`));
        }
        request.log.error({ err: error }, 'oauth endpoint failed');
        return sendError(reply, oauthError('server_error', 'internal error'));
      });

      // The public listener serves this route from its raw node:http path (config.rawHandler, picked up
      // by src/gateway/server.ts); the Fastify handler answers inject() and other Fastify hosts alike.
      // One way to take the source address on both paths; Fastify's own request.ip is not used.
      const { trustProxy } = oauth.settings;
      const sourceOf = (request: FastifyRequest) => sourceAddressOf(request.raw, trustProxy);
      const rawHandler = createRawTokenHandler({ token: oauth.token, bodyLimit, log, accessLog, trustProxy });
      scope.post('/oauth/token', { config: { rawHandler } }, async (request, reply) => {
        const form = formOf(request);
        if (!form.ok) return sendError(reply, form);
        const outcome = await oauth.token({ authorization: request.headers.authorization, params: form.params, ip: sourceOf(request) });
        if (outcome.ok) (request as WithClient)[CLIENT_ID] = outcome.clientId;
        if (!outcome.ok) return sendError(reply, outcome);
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(outcome.response);
      });

      /** The caller of introspection/revocation: an authenticated client, or (introspection) an admin key. */
      async function callerOf(request: FastifyRequest, params: FormParams, allowAdmin: boolean): Promise<IntrospectionCaller | OAuthError> {
        const bearer = bearerOf(request.headers.authorization, STRICT_TOKEN68_BEARER);
        if (bearer && allowAdmin && deps.isAdminKey) {
          const result = await deps.isAdminKey(bearer);
          return result.valid ? { kind: 'admin' } : oauthError('invalid_client', 'the admin key is not valid');
        }
        const auth = await oauth.authenticateRequest({ authorization: request.headers.authorization, params, ip: sourceOf(request) });
        if (!auth.ok) return auth;
        (request as WithClient)[CLIENT_ID] = auth.principal.client.id;
        return { kind: 'client', clientId: auth.principal.client.id };
      }

      scope.post('/oauth/introspect', async (request, reply) => {
        const form = formOf(request);
        if (!form.ok) return sendError(reply, form);
        const caller = await callerOf(request, form.params, true);
        if ('ok' in caller) return sendError(reply, caller);
        const token = param(form.params, 'token');
        if (token === undefined) return sendError(reply, oauthError('invalid_request', 'token is missing'));
        const answer = await oauth.introspect(token, caller);
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer);
      });

      scope.post('/oauth/revoke', async (request, reply) => {
        const form = formOf(request);
        if (!form.ok) return sendError(reply, form);
        const caller = await callerOf(request, form.params, false);
        if ('ok' in caller) return sendError(reply, caller);
        const token = param(form.params, 'token');
        if (token === undefined) return sendError(reply, oauthError('invalid_request', 'token is missing'));
        const clientId = (caller as { clientId: string }).clientId;
        const actor: Actor = { id: clientId, sourceIp: sourceOf(request) };
        const result = await oauth.revoker.revokeOwnToken(token, clientId, actor);
        if (!result.ok) return sendError(reply, result);
        return reply.header('cache-control', 'no-store').code(200).send();
      });

      scope.get('/.well-known/jwks.json', async (_request, reply) =>
        reply.header('cache-control', `public, max-age=${cacheSeconds}`).type('application/jwk-set+json').send(oauth.jwks()),
      );

      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        scope.get(path, async (_request, reply) => reply.header('cache-control', `public, max-age=${cacheSeconds}`).send(oauth.metadata()));
      }
    },
    { logLevel: 'warn' },
  );
}
