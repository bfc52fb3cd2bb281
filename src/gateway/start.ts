// Builds and starts the public listener: compile the APIs, create the data-plane handler, put it in
// front of the Fastify routes other modules register, listen.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyListenOptions } from 'fastify';
import type { App } from '../app.js';
import type { ApiConfig } from '../config/schema.js';
import { urlOf } from '../lib/listener-url.js';
import type { Logger } from '../logger.js';
import { type CompiledApi, compileApis } from './compile-apis.js';
import { connectionLimitsOf, reportRefusals } from './connections.js';
import { createGatewayHandler, type GatewayHandler } from './handler.js';
import { buildPublicServer, type PublicServer } from './server.js';

export interface GatewayOptions {
  app: App;
  /** Defaults to `app.config.apis`. */
  apis?: readonly ApiConfig[];
  /** Where relative `openapi` paths are resolved: the config file's directory. */
  baseDir: string;
  /** Extra routes on the public listener (the OAuth endpoints). */
  register?: (server: FastifyInstance) => void | Promise<void>;
  host?: string;
  port?: number;
  /** A socket bound already (lib/reserved-port.ts) that the listener takes over, on `port`. */
  listenHandle?: unknown;
}

export interface RunningGateway extends PublicServer {
  handler: GatewayHandler;
  url: string;
  close(): Promise<void>;
}

/** `apis` as the data plane routes them, at start and at a reload; a ConfigError names a bad field. */
export function compileGatewayApis(app: App, apis: readonly ApiConfig[], baseDir: string, log: Logger): CompiledApi[] {
  const compiled = compileApis(apis, { baseDir, warn: (message) => log.warn(message) });
  for (const api of apis) {
    for (const method of api.auth) {
      if (!app.authMethods.has(method)) log.warn({ api: api.name }, `auth method ${method} is not available yet; its credentials get 401`);
    }
  }
  return compiled;
}

/** The handler and server, not yet listening (tests drive `server` themselves). */
export async function buildGateway({ app, apis = app.config.apis, baseDir, register }: GatewayOptions): Promise<{ handler: GatewayHandler } & PublicServer> {
  const log = app.logs.child({ listener: 'gateway' });
  const limits = connectionLimitsOf(app.config);
  const compiled = compileGatewayApis(app, apis, baseDir, log);
  const handler = createGatewayHandler({
    apis: compiled,
    authMethods: app.authMethods,
    metrics: app.metrics,
    log,
    settings: app.config.gateway,
    limiter: app.limiters.requests,
    usage: app.usage,
    limitNotice: app.limitEvents.notice,
    clock: app.clock,
    tracer: app.tracer,
  });
  const connections = {
    ...limits,
    onRefused: reportRefusals(
      log,
      () => app.clock.now(),
      (reason) => app.metrics.connectionRefused(reason),
    ),
  };
  const publicServer = await buildPublicServer({
    gateway: handler,
    log: app.logs.child({ listener: 'public' }),
    maxHeaderSize: app.config.gateway.maxHeaderSize,
    maxHeaderCount: app.config.gateway.maxHeaderCount,
    connections,
    tracer: app.tracer,
    ...(register ? { register } : {}),
  });
  return { handler, ...publicServer };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const built = await buildGateway(options);
  const host = options.host ?? options.app.config.listen.host;
  const port = options.port ?? options.app.config.listen.port;
  try {
    // Fastify passes its options on to Node's `server.listen`, which takes over a bound `handle`.
    await built.fastify.listen({ host, port, ...(options.listenHandle ? { handle: options.listenHandle } : {}) } as FastifyListenOptions);
  } catch (error) {
    // A port in use: nothing of this listener stays open.
    await built.fastify.close();
    await built.handler.close();
    throw error;
  }
  const address = built.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    ...built,
    url: urlOf(host, address.port),
    close() {
      closing ??= (async () => {
        await built.fastify.close();
        await built.handler.close();
      })();
      return closing;
    },
  };
}
