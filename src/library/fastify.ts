// `portcullis/fastify`: verify API keys and Portcullis' JWTs (and trusted issuers') inside a Fastify app.
//   app.register(portcullis, { store: 'sqlite:./.portcullis/portcullis.db', scopes: ['orders:read'] })
//   app.get('/orders', (request) => request.identity.consumerId)
// or per route: `{ onRequest: portcullisAuth({ verifier, scopes: ['orders:write'] }) }`.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Identity } from '../auth/types.js';
import { sourceAddressOf } from '../oauth/source-address.js';
import { createRequestAuthenticator, type PortcullisAuthOptions, repeatedCredential } from './authenticate.js';

export type { Identity } from '../auth/types.js';
export type { PortcullisAuthOptions } from './authenticate.js';
export { createInProcessVerifier, createRemoteVerifier, type PortcullisVerifier } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the portcullis hook; null on routes it does not guard. */
    identity: Identity | null;
  }
}

/**
 * An onRequest/preHandler hook: 401/403 problem JSON, or `request.identity` set. Its `close()` closes
 * the verifier it built from `store` or `remote` (call it from the app's `onClose`).
 */
export function portcullisAuth(options: PortcullisAuthOptions) {
  const authenticator = createRequestAuthenticator(options, 'fastify');
  const apiKeyHeader = (options.apiKeyHeader ?? 'x-api-key').toLowerCase();
  const trustProxy = options.trustProxy === true;
  async function portcullisAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const decision = await authenticator.authenticate(
      (name) => request.headers[name],
      repeatedCredential(request.raw.rawHeaders, apiKeyHeader),
      () => sourceAddressOf(request.raw, trustProxy),
    );
    if (decision.ok) {
      request.identity = decision.identity;
      return;
    }
    await reply.code(decision.status).headers(decision.headers).send(JSON.stringify(decision.body));
  }
  return Object.assign(portcullisAuth, { close: () => authenticator.close() });
}

/**
 * Guards every route of the instance it is registered on (and its children: fastify-plugin keeps the
 * hook out of a context of its own). The verifier it built is closed with the instance, so pending
 * last-used times are written and its store is closed.
 */
export const portcullis: FastifyPluginAsync<PortcullisAuthOptions> = fastifyPlugin(
  async function portcullis(fastify, options: PortcullisAuthOptions) {
    if (!fastify.hasRequestDecorator('identity')) fastify.decorateRequest('identity', null);
    const hook = portcullisAuth(options);
    fastify.addHook('onRequest', hook);
    fastify.addHook('onClose', hook.close);
  },
  { fastify: '5.x', name: 'portcullis' },
);

export default portcullis;
