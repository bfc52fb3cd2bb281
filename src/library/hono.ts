// `portcullis/hono`: verify API keys and Portcullis' JWTs (and trusted issuers') inside a Hono app.
//   app.use('/orders/*', portcullisAuth({ store: 'sqlite:./.portcullis/portcullis.db', scopes: ['orders:read'] }))
//   app.get('/orders', (c) => c.json({ consumer: c.get('identity').consumerId }))
import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { Identity } from '../auth/types.js';
import { sourceAddressOf } from '../oauth/source-address.js';
import { createRequestAuthenticator, type PortcullisAuthOptions } from './authenticate.js';

export type { Identity } from '../auth/types.js';
export type { PortcullisAuthOptions } from './authenticate.js';
export { createInProcessVerifier, createRemoteVerifier, type PortcullisVerifier } from './verifier.js';

/** Hono env for typed `c.get('identity')`: `new Hono<PortcullisEnv>()`. */
export type PortcullisEnv = { Variables: { identity: Identity } };

/**
 * The middleware; its `close()` closes the verifier it built from `store` or `remote` (pending
 * last-used times are written, the store is closed): call it when the server shuts down.
 */
export function portcullisAuth(options: PortcullisAuthOptions): MiddlewareHandler<PortcullisEnv> & { close(): Promise<void> } {
  const authenticator = createRequestAuthenticator(options, 'hono');
  const trustProxy = options.trustProxy === true;
  const portcullisAuth: MiddlewareHandler<PortcullisEnv> = async function portcullisAuth(c, next) {
    // Fetch Headers join repeated values with ", ", which no credential contains: a repeat is refused as malformed.
    const decision = await authenticator.authenticate(
      (name) => c.req.header(name),
      false,
      () => {
        // @hono/node-server passes node's request as c.env.incoming; on other runtimes the address is unknown.
        const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
        return incoming?.socket ? sourceAddressOf(incoming, trustProxy) : '';
      },
    );
    if (!decision.ok) {
      return new Response(JSON.stringify(decision.body), { status: decision.status, headers: decision.headers });
    }
    c.set('identity', decision.identity);
    await next();
  };
  return Object.assign(portcullisAuth, { close: () => authenticator.close() });
}

export default portcullisAuth;
