// `portcullis/express`: verify API keys and Portcullis' JWTs (and trusted issuers') inside an Express 5 app.
//   app.use('/orders', portcullisAuth({ store: 'sqlite:./.portcullis/portcullis.db', scopes: ['orders:read'] }))
//   app.get('/orders', (req, res) => res.json({ consumer: req.identity!.consumerId }))
import type { NextFunction, Request, Response } from 'express';
import type { Identity } from '../auth/types.js';
import { sourceAddressOf } from '../oauth/source-address.js';
import { createRequestAuthenticator, type PortcullisAuthOptions, repeatedCredential } from './authenticate.js';

export type { Identity } from '../auth/types.js';
export type { PortcullisAuthOptions } from './authenticate.js';
export { createInProcessVerifier, createRemoteVerifier, type PortcullisVerifier } from './verifier.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller, set by portcullisAuth. */
      identity?: Identity;
    }
  }
}

/**
 * The middleware; its `close()` closes the verifier it built from `store` or `remote` (pending
 * last-used times are written, the store is closed): call it when the server shuts down.
 */
export function portcullisAuth(options: PortcullisAuthOptions) {
  const authenticator = createRequestAuthenticator(options, 'express');
  const apiKeyHeader = (options.apiKeyHeader ?? 'x-api-key').toLowerCase();
  const trustProxy = options.trustProxy === true;
  function portcullisAuth(req: Request, res: Response, next: NextFunction): void {
    authenticator
      .authenticate(
        (name) => req.headers[name],
        repeatedCredential(req.rawHeaders, apiKeyHeader),
        () => sourceAddressOf(req, trustProxy),
      )
      .then((decision) => {
        if (decision.ok) {
          req.identity = decision.identity;
          return next();
        }
        res.status(decision.status).set(decision.headers).send(JSON.stringify(decision.body));
      }, next);
  }
  return Object.assign(portcullisAuth, { close: () => authenticator.close() });
}

export default portcullisAuth;
