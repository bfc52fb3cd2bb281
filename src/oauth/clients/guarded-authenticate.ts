// Client authentication as every OAuth endpoint runs it: one mechanism, refused while the client_id or
// the IP is throttled, and each failure counted against both — so introspection and revocation are no
// side door for guessing secrets.
import { oauthError, type OAuthError } from '../errors.js';
import type { FailureLimiter } from '../failure-limiter.js';
import type { FormParams } from '../form.js';
import type { ClientPrincipal } from '../principals.js';
import type { ClientAuthenticator } from './authenticate.js';
import { readClientCredentials } from './credentials.js';

export interface ClientRequest {
  authorization: string | undefined;
  params: FormParams;
  ip: string;
}

export function createGuardedClientAuthenticator({
  authenticateClient,
  failuresPerClient,
  failuresPerIp,
}: {
  authenticateClient: ClientAuthenticator;
  failuresPerClient: FailureLimiter;
  failuresPerIp: FailureLimiter;
}) {
  return async function authenticateRequest({ authorization, params, ip }: ClientRequest): Promise<{ ok: true; principal: ClientPrincipal } | OAuthError> {
    const credentials = readClientCredentials(authorization, params);
    if ('ok' in credentials) return credentials;
    const ipKey = `ip:${ip}`;
    const claimed = credentials.clientId;
    const [ipWait, clientWait] = await Promise.all([failuresPerIp.retryAfter(ipKey), claimed ? failuresPerClient.retryAfter(`client:${claimed}`) : 0]);
    const wait = Math.max(ipWait, clientWait);
    if (wait > 0) return oauthError('slow_down', `too many failed client authentications; retry in ${wait}s`, { retryAfterSeconds: wait });
    const result = await authenticateClient(credentials);
    if (result.ok) return result;
    const failedId = result.clientId ?? claimed;
    await Promise.all([failuresPerIp.recordFailure(ipKey), failedId ? failuresPerClient.recordFailure(`client:${failedId}`) : undefined]);
    const { clientId: _omitted, ...error } = result;
    return error;
  };
}

export type GuardedClientAuthenticator = ReturnType<typeof createGuardedClientAuthenticator>;
