// Client authentication as every OAuth endpoint runs it: one mechanism, refused while it is throttled,
// and each failure counted — so introspection and revocation are no side door for guessing secrets.
// Failures count per client and source address (the tight limit: wrong secrets from one address do
// not lock the client out from its other addresses), per client from everywhere (a much higher
// ceiling against distributed guessing) and per source address across clients.

import { addressBlockOf } from '../../lib/address-block.js';
import { type OAuthError, oauthError } from '../errors.js';
import type { FailureLimiter } from '../failure-limiter.js';
import type { FormParams } from '../form.js';
import type { ClientPrincipal } from '../principals.js';
import type { ClientAuthenticator } from './authenticate.js';
import { readClientCredentials } from './credentials.js';

export interface ClientRequest {
  authorization: string | undefined;
  params: FormParams;
  /** The source address (src/oauth/source-address.ts). */
  ip: string;
}

export function createGuardedClientAuthenticator({
  authenticateClient,
  failuresPerClientAndIp,
  failuresPerClient,
  failuresPerIp,
}: {
  authenticateClient: ClientAuthenticator;
  failuresPerClientAndIp: FailureLimiter;
  failuresPerClient: FailureLimiter;
  failuresPerIp: FailureLimiter;
}) {
  // An address never contains '|'; a client_id may contain anything, so it goes last.
  const pairKey = (address: string, clientId: string) => `client-ip:${address}|${clientId}`;
  return async function authenticateRequest({ authorization, params, ip }: ClientRequest): Promise<{ ok: true; principal: ClientPrincipal } | OAuthError> {
    const credentials = readClientCredentials(authorization, params);
    if ('ok' in credentials) return credentials;
    const address = addressBlockOf(ip);
    const ipKey = `ip:${address}`;
    const claimed = credentials.clientId;
    const waits = await Promise.all([
      failuresPerIp.retryAfter(ipKey),
      claimed ? failuresPerClientAndIp.retryAfter(pairKey(address, claimed)) : 0,
      claimed ? failuresPerClient.retryAfter(`client:${claimed}`) : 0,
    ]);
    const wait = Math.max(...waits);
    if (wait > 0) return oauthError('slow_down', `too many failed client authentications; retry in ${wait}s`, { retryAfterSeconds: wait });
    const result = await authenticateClient(credentials, ip);
    if (result.ok) return result;
    const failedId = result.clientId ?? claimed;
    await Promise.all([
      failuresPerIp.recordFailure(ipKey),
      failedId ? failuresPerClientAndIp.recordFailure(pairKey(address, failedId)) : undefined,
      failedId ? failuresPerClient.recordFailure(`client:${failedId}`) : undefined,
    ]);
    const { clientId: _omitted, ...error } = result;
    return error;
  };
}

export type GuardedClientAuthenticator = ReturnType<typeof createGuardedClientAuthenticator>;
