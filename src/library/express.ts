// `portcullis/express`: verify API keys and Portcullis' JWTs (and trusted issuers') inside an Express 5 app.
//   app.use('/orders', portcullisAuth({ store: 'sqlite:./.portcullis/portcullis.db', scopes: ['orders:read'] }))
//   app.get('/orders', (req, res) => res.json({ consumer: req.identity!.consumerId }))
import type { NextFunction, Request, Response } from 'express';
import type { Identity } from '../auth/types.js';
import { createRequestAuthenticator, repeatedCredential, type PortcullisAuthOptions } from './authenticate.js';

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

export function portcullisAuth(options: PortcullisAuthOptions) {
  const authenticator = createRequestAuthenticator(options, 'express');
  const apiKeyHeader = (options.apiKeyHeader ?? 'x-api-key').toLowerCase();
  return function portcullisAuth(req: Request, res: Response, next: NextFunction): void {
    authenticator
      .authenticate(
        (name) => req.headers[name],
        repeatedCredential(req.rawHeaders, apiKeyHeader),
      )
      .then((decision) => {
        if (decision.ok) {
          req.identity = decision.identity;
          return next();
        }
        res.status(decision.status).set(decision.headers).send(JSON.stringify(decision.body));
      }, next);
  };
}

export default portcullisAuth;
