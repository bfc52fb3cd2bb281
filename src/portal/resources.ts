// The portal's resource routes under `{path}/api/v1`: a member's keys, clients, usage, audit trail
// and the API reference documents, and the operators' routes under `admin/…` (every consumer's
// resources under `admin/consumers/{id}/…`). The scope given here already checks the session and
// the request's origin and CSRF token; these routes decide what the principal may reach. An object
// out of reach is answered exactly as an unknown one (404); so is every `admin/…` route for a member.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adminComponents } from '../admin/components.js';
import { adminSerializers } from '../admin/schema-compilers.js';
import { adminValidators, checkLimitSettings } from '../admin/validation.js';
import type { App } from '../app.js';
import type { ApiConfig } from '../config/schema.js';
import type { PortalPrincipal } from './principal.js';
import { memberReach, operatorReach, type PrincipalOf, type Reach } from './reach.js';
import { apiRoutes } from './routes/apis.js';
import { auditRoutes } from './routes/audit.js';
import { clientRoutes } from './routes/clients.js';
import { keyRoutes } from './routes/keys.js';
import { operatorRoutes } from './routes/operator.js';
import type { PortalServer } from './routes/portal-server.js';
import { usageRoutes } from './routes/usage.js';
import { webhookRoutes } from './routes/webhooks.js';
import { portalComponents } from './schemas.js';

export interface ResourceRouteDeps {
  app: App;
  principalOf(request: FastifyRequest): PortalPrincipal;
  /** Where `apis[].openapi` paths are relative to (the config file's folder); default the working directory. */
  baseDir?: string;
  /** The APIs the gateway serves now (the config's, and the demo's echo API; a reload changes them); default the config's. */
  apis?: () => readonly ApiConfig[];
}

/** The named schemas the routes refer to (`{ $ref: "<$id>" }`), for the validator, the serialiser and the OpenAPI document. */
export const resourceComponents = { ...adminComponents, ...portalComponents };

export function registerResourceRoutes(scope: FastifyInstance, deps: ResourceRouteDeps): void {
  const { app } = deps;
  const principalOf: PrincipalOf = (request) => deps.principalOf(request);
  // On the scope itself, so a document generated there (@fastify/swagger) names them as components.
  for (const schema of Object.values(resourceComponents)) if (scope.getSchema(schema.$id!) === undefined) scope.addSchema(schema);

  scope.register(async function portalResources(child) {
    // The admin API's request checks, in this plugin's context only (the accounts routes beside it keep
    // theirs). The nesting bound (checkInputDepth) is the portal API scope's, for every route (plugin.ts).
    child.setValidatorCompiler(adminValidators(portalComponents));
    child.setSerializerCompiler(adminSerializers(portalComponents));
    child.addHook('preHandler', checkLimitSettings);
    const routes = child.withTypeProvider<TypeBoxTypeProvider>() as PortalServer;

    // A consumer's resources, for the member's consumer here and for any consumer under admin/ below.
    const consumerRoutes = (server: PortalServer, reach: Reach) => {
      keyRoutes(server, app, reach, principalOf);
      clientRoutes(server, app, reach, principalOf);
      usageRoutes(server, app, reach);
      auditRoutes(server, app, reach);
      webhookRoutes(server, app, reach, principalOf);
    };
    consumerRoutes(routes, memberReach(principalOf));
    apiRoutes(routes, app, deps.apis ?? (() => app.config.apis), deps.baseDir ?? process.cwd());

    child.register(async function operatorOnly(operator) {
      // This context's first hook. It needs the principal, so the scope's session check must be an
      // onRequest hook (a parent's hooks run before a child's): a member then never reaches an
      // operator route's validation or handler, and meets the answer an unknown route gets.
      operator.addHook('onRequest', async (request, reply) => {
        if (!principalOf(request).operator) return reply.callNotFound();
      });
      const operatorServer = operator.withTypeProvider<TypeBoxTypeProvider>() as PortalServer;
      consumerRoutes(operatorServer, operatorReach);
      operatorRoutes(operatorServer, app, principalOf);
    });
  });
}
