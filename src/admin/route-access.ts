// Who may call each admin route. Every route needs an admin key unless its path is on the explicit
// public list. The verdict is attached to the route when it is registered (Fastify's onRoute) and
// read from the route the router matched, never from the request's URL text, so it holds for
// whatever spelling of a path reached that route; a request that matched no route needs a key too.
// A handler that somehow runs without an authenticated actor is a fault, not a request served.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Actor } from '../audit/log.js';

export type RouteAccess = 'admin' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on every admin route at registration; a route may not claim `public` for itself. */
    adminAccess?: RouteAccess;
  }
}

export interface RouteAccessOptions {
  /** Paths anyone may GET (and HEAD): health, readiness, the OpenAPI document, maybe metrics. */
  publicPaths: readonly string[];
  /** Resolves the admin actor of a request or throws UNAUTHENTICATED / FORBIDDEN. */
  authenticate: (request: FastifyRequest) => Promise<Actor>;
}

export interface AdminRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

const ACTOR = Symbol('portcullis.admin.actor');
type WithActor = FastifyRequest & { [ACTOR]?: Actor };

const PUBLIC_METHODS = new Set(['GET', 'HEAD']);

/** Thrown when a handler reads `request.actor` that no authentication set: a bug, answered 500 and logged. */
export class UnauthenticatedHandlerFault extends Error {
  constructor(route: string) {
    super(`admin handler ${route} ran without an authenticated actor`);
    this.name = 'UnauthenticatedHandlerFault';
  }
}

const routeTables = new WeakMap<FastifyInstance, AdminRoute[]>();

/** Every route registered on an admin server and who may call it (for tests and audits). */
export function adminRoutes(server: FastifyInstance): readonly AdminRoute[] {
  return routeTables.get(server) ?? [];
}

/**
 * Installs authentication on `server`; call it first, before any hook or route. Returns the check
 * for other hooks that must run after it in the same onRequest pass.
 */
export function guardRoutes(
  server: FastifyInstance,
  { publicPaths, authenticate }: RouteAccessOptions,
): {
  authenticateRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
} {
  const publicSet = new Set(publicPaths);
  const table: AdminRoute[] = [];
  routeTables.set(server, table);

  server.decorateRequest('actor', {
    getter(this: FastifyRequest): Actor {
      const actor = (this as WithActor)[ACTOR];
      if (actor === undefined) throw new UnauthenticatedHandlerFault(`${this.method} ${this.routeOptions.url ?? '(no route)'}`);
      return actor;
    },
    // Authentication sets the actor; later stages may only add to it (an Idempotency-Key claim).
    setter(this: FastifyRequest, actor: Actor) {
      const current = (this as WithActor)[ACTOR];
      if (current === undefined || current.id !== actor.id) throw new UnauthenticatedHandlerFault(`${this.method} ${this.routeOptions.url ?? '(no route)'}`);
      (this as WithActor)[ACTOR] = actor;
    },
  });

  server.addHook('onRoute', (route: RouteOptions) => {
    const methods = [route.method].flat().map(String);
    const listed = publicSet.has(route.url) && methods.every((m) => PUBLIC_METHODS.has(m));
    // The public list is the one place that makes a route public: a route claiming it stops the start.
    if (route.config?.adminAccess === 'public' && !listed) {
      throw new Error(`admin route ${methods.join(',')} ${route.url} claims public access but is not on the public list`);
    }
    const access: RouteAccess = listed ? 'public' : 'admin';
    route.config = { ...route.config, adminAccess: access };
    for (const method of methods) table.push({ method, url: route.url, access });
    if (access === 'public') return;
    const handler = route.handler;
    route.handler = function authenticatedHandler(this: FastifyInstance, request, reply) {
      // authenticateRequest either set the actor or answered; reaching here without one is a bug.
      if ((request as WithActor)[ACTOR] === undefined) throw new UnauthenticatedHandlerFault(`${request.method} ${route.url}`);
      return handler.call(this, request, reply);
    };
  });

  async function authenticateRequest(request: FastifyRequest): Promise<void> {
    if (request.routeOptions.config.adminAccess === 'public' && !request.is404) return;
    (request as WithActor)[ACTOR] = await authenticate(request);
  }
  return { authenticateRequest };
}
