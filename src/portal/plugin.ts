// The developer portal on the public listener, under `portal.path`: its pages (static.ts), and its
// JSON API under `{path}/api/v1` with the cookie session and the cross-site checks (csrf.ts). None
// of it is gateway traffic: these routes are Fastify's, which the gateway's handler never sees, so
// they count no usage and no gateway metrics. Every answer carries the security headers (headers.ts).
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { adminSerializers } from '../admin/schema-compilers.js';
import { adminValidators, checkInputDepth } from '../admin/validation.js';
import type { App } from '../app.js';
import type { ApiConfig } from '../config/schema.js';
import { PortcullisError } from '../errors/codes.js';
import { problem, sendProblem } from '../errors/problem.js';
import { changesState, checkCsrfToken, checkSameOrigin } from './csrf.js';
import { contentSecurityPolicy, securityHeaders } from './headers.js';
import { registerResourceRoutes } from './resources.js';
import { publicAccountRoutes, signedInAccountRoutes } from './routes/account.js';
import { memberRoutes } from './routes/members.js';
import { attachSession, principalOf, sessionAnswers } from './session.js';
import { sessionCookieFor } from './session-cookie.js';
import { createPortalUi, DEFAULT_UI_DIR } from './static.js';

export interface PortalOptions {
  app: App;
  /** The built UI (index.html and assets/); dist/portal-ui by default. */
  uiDir?: string;
  /** The APIs the gateway serves now (the config's, and the demo's echo API; a reload changes them); default the config's. */
  apis?: () => readonly ApiConfig[];
  /** Where `apis[].openapi` paths are relative to (the config file's folder); default the working directory. */
  baseDir?: string;
}

export async function registerPortal(server: FastifyInstance, { app, uiDir = DEFAULT_UI_DIR, apis, baseDir }: PortalOptions): Promise<void> {
  const path = app.config.portal.path;
  const portalOrigin = new URL(app.portal.publicUrl).origin;
  const cookie = sessionCookieFor(app.portal.publicUrl);
  if (cookie.secure && portalOrigin.startsWith('http:')) {
    app.log.warn(
      { publicUrl: app.portal.publicUrl },
      'portal.publicUrl is plain http on a host other than localhost: browsers will not keep the Secure session cookie; serve the portal over https',
    );
  }
  const setHeaders = securityHeaders(contentSecurityPolicy(app.config.portal.branding.logoUrl));
  const ui = createPortalUi(uiDir, path);
  const sessions = sessionAnswers(app, cookie);

  await server.register(
    async (portal) => {
      await portal.register(fastifyCookie);
      portal.addHook('onSend', async (_request, reply, payload) => {
        setHeaders(reply);
        return payload;
      });
      portal.setNotFoundHandler((request, reply) =>
        sendProblem(reply, {
          ...problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]!.slice(0, 200)} is not a portal route`),
          requestId: String(request.id),
        }),
      );

      // Pages: every path but the API's and the assets' is the single-page app.
      const page = async (_request: unknown, reply: import('fastify').FastifyReply) => {
        const html = ui.page();
        if (html === undefined) throw new PortcullisError('PORTAL_UI_NOT_BUILT', 'the portal’s pages are not built: run `npm run build`');
        return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
      };
      portal.get('/', { schema: { hide: true } }, page);
      portal.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
        const asset = ui.asset((request.params as { '*': string })['*']);
        if (!asset) throw new PortcullisError('ROUTE_NOT_FOUND', 'no such portal asset');
        return reply.header('cache-control', asset.cacheControl).type(asset.contentType).send(asset.body);
      });
      portal.get('/*', { schema: { hide: true } }, async (request, reply) => {
        const rest = (request.params as { '*': string })['*'];
        if (rest === 'api' || rest.startsWith('api/'))
          throw new PortcullisError('ROUTE_NOT_FOUND', `GET ${request.url.split('?')[0]!.slice(0, 200)} is not a portal route`);
        return page(request, reply);
      });

      await portal.register(
        async (api) => {
          const typed = api.withTypeProvider<TypeBoxTypeProvider>();
          api.setValidatorCompiler(adminValidators());
          api.setSerializerCompiler(adminSerializers());
          api.removeAllContentTypeParsers();
          api.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, api.getDefaultJsonParser('error', 'error'));
          await api.register(fastifySwagger, {
            openapi: {
              openapi: '3.1.0',
              info: {
                title: `${app.config.portal.branding.title} API`,
                version: 'v1',
                description:
                  'The developer portal’s JSON API. Cookie session; every POST, PATCH and DELETE sends X-CSRF-Token from a same-origin page. Errors are RFC 9457 problem JSON with a stable `code`.',
              },
              components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: cookie.name } } },
              servers: [{ url: `${app.portal.publicUrl}${path}/api/v1` }],
            },
          });
          // Cross-site refusal comes first, for every state-changing call, signed in or not (a forged sign-in too).
          api.addHook('onRequest', async (request) => {
            if (changesState(request)) checkSameOrigin(request, portalOrigin);
          });
          // Bounded nesting before the schemas, as on the admin API.
          api.addHook('preValidation', checkInputDepth);
          api.setNotFoundHandler((request, reply) =>
            sendProblem(reply, {
              ...problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]!.slice(0, 200)} is not a portal API route`),
              requestId: String(request.id),
            }),
          );
          api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
          publicAccountRoutes(typed, { app, cookie, sessions });

          await api.register(async (signedIn) => {
            // Set again: a context that adds schemas (the resource routes add theirs here, for the
            // document) has Fastify rebuild its serialiser from the server's builder, its default one.
            signedIn.setSerializerCompiler(adminSerializers());
            signedIn.addHook('onRequest', async (request) => {
              const id = cookie.read(request);
              const session = id ? await app.sessions.resolve(id) : undefined;
              if (!session) throw new PortcullisError('SESSION_REQUIRED', 'sign in to the portal first (the session is missing, ended or expired)');
              if (changesState(request)) checkCsrfToken(request, session.session.csrfToken);
              attachSession(request, session);
            });
            const signedInTyped = signedIn.withTypeProvider<TypeBoxTypeProvider>();
            signedInAccountRoutes(signedInTyped, { app, cookie, sessions });
            memberRoutes(signedInTyped, app);
            registerResourceRoutes(signedIn, { app, principalOf, ...(apis ? { apis } : {}), ...(baseDir ? { baseDir } : {}) });
          });
        },
        { prefix: '/api/v1' },
      );
    },
    { prefix: path },
  );
}
