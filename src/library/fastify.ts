// `portcullis/fastify`: verify API keys and Portcullis' JWTs (and trusted issuers') inside a Fastify app.
//   app.register(portcullis, { store: 'sqlite:./.portcullis/portcullis.db', scopes: ['orders:read'] })
//   app.get('/orders', (request) => request.identity.consumerId)
// or per route: `{ onRequest: portcullisAuth({ verifier, scopes: ['orders:write'] }) }`.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/types.js';
import { createRequestAuthenticator, repeatedCredential, type PortcullisAuthOptions } from './authenticate.js';

export type { Identity } from '../auth/types.js';
export type { PortcullisAuthOptions } from './authenticate.js';
export { createInProcessVerifier, createRemoteVerifier, type PortcullisVerifier } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the portcullis hook; null on routes it does not guard. */
    identity: Identity | null;
  }
}

/** An onRequest/preHandler hook: 401/403 problem JSON, or `request.identity` set. */
export function portcullisAuth(options: PortcullisAuthOptions) {
  const authenticator = createRequestAuthenticator(options, 'fastify');
  const apiKeyHeader = (options.apiKeyHeader ?? 'x-api-key').toLowerCase();
  return async function portcullisAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const decision = await authenticator.authenticate(
      (name) => request.headers[name],
      repeatedCredential(request.raw.rawHeaders, apiKeyHeader),
    );
    if (decision.ok) {
      request.identity = decision.identity;
      return;
    }
    await reply.code(decision.status).headers(decision.headers).send(JSON.stringify(decision.body));
  };
}

/** Guards every route of the instance it is registered on (and its children). */
export const portcullis: FastifyPluginAsync<PortcullisAuthOptions> = async function portcullis(fastify, options) {
  if (!fastify.hasRequestDecorator('identity')) fastify.decorateRequest('identity', null);
  const hook = portcullisAuth(options);
  fastify.addHook('onRequest', hook);
};
// Like fastify-plugin: the hook applies to the instance that registers it, not a child context.
(portcullis as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export default portcullis;
