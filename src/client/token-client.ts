// `portcullis/client`: fetch an access token with the client credentials grant, keep it until shortly
// before it expires, refresh it (one request however many callers wait), and authorise fetch calls
// with it. No dependencies beyond Node; works against any RFC 6749 token endpoint.
import { createPrivateKey, type JsonWebKey, type KeyObject, randomUUID, sign } from 'node:crypto';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
export type AssertionAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

export interface TokenClientOptions {
  /** The token endpoint, e.g. https://api.example.com/oauth/token. Or give `issuer`. */
  tokenUrl?: string;
  /** The issuer's base URL; the token endpoint is `<issuer>/oauth/token`. */
  issuer?: string;
  clientId: string;
  /** For client_secret_basic and client_secret_post. */
  clientSecret?: string;
  /** For private_key_jwt: the key the client registered (KeyObject, PEM or JWK). */
  privateKey?: KeyObject | string | JsonWebKey;
  keyId?: string;
  algorithm?: AssertionAlgorithm;
  /**
   * Left out with a secret: client_secret_basic, and once client_secret_post when the server answers
   * `invalid_client` to it (a client pinned to post); the method that worked is kept. Given: only it.
   */
  authMethod?: ClientAuthMethod;
  scope?: string | readonly string[];
  /** Auth0-style `audience`; or RFC 8707 `resource`. */
  audience?: string;
  resource?: string | readonly string[];
  /** Refresh when fewer than this many seconds are left (default: 10% of the lifetime, 5–60 s). */
  refreshBeforeSeconds?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; for tests. */
  now?: () => number;
}

export interface AccessToken {
  accessToken: string;
  tokenType: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  scope: string | undefined;
  /** The token endpoint's JSON answer, as it was sent (`expires_in`, and any other member). */
  response: Readonly<Record<string, unknown>>;
}

/** A refusal from the token endpoint (RFC 6749 §5.2) or a transport failure. */
export class TokenRequestError extends Error {
  readonly status: number | undefined;
  readonly error: string;
  readonly errorDescription: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(error: string, options: { status?: number; description?: string; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(options.description ? `${error}: ${options.description}` : error, options.cause ? { cause: options.cause } : undefined);
    this.name = 'TokenRequestError';
    this.error = error;
    this.status = options.status;
    this.errorDescription = options.description;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function toKeyObject(key: KeyObject | string | JsonWebKey): KeyObject {
  if (typeof key === 'string') return createPrivateKey(key);
  if ('asymmetricKeyType' in key || (key as KeyObject).type === 'private') return key as KeyObject;
  return createPrivateKey({ key: key as never, format: 'jwk' });
}

/** An RFC 7523 client assertion: iss = sub = client_id, aud = the token endpoint, 60 s, a fresh jti. */
export function createClientAssertion(options: {
  clientId: string;
  audience: string;
  privateKey: KeyObject | string | JsonWebKey;
  keyId?: string;
  algorithm?: AssertionAlgorithm;
  now?: number;
}): string {
  const alg = options.algorithm ?? 'ES256';
  const key = toKeyObject(options.privateKey);
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const header = { alg, typ: 'JWT', ...(options.keyId ? { kid: options.keyId } : {}) };
  const claims = { iss: options.clientId, sub: options.clientId, aud: options.audience, iat, exp: iat + 60, jti: randomUUID() };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const data = Buffer.from(input);
  const signature =
    alg === 'ES256' ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : alg === 'EdDSA' ? sign(null, data, key) : sign('sha256', data, key);
  return `${input}.${b64url(signature)}`;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

export function createTokenClient(options: TokenClientOptions) {
  const tokenUrl = options.tokenUrl ?? (options.issuer ? `${options.issuer.replace(/\/+$/, '')}/oauth/token` : undefined);
  if (!tokenUrl) throw new TypeError('give tokenUrl or issuer');
  if (!options.clientId) throw new TypeError('clientId is required');
  let authMethod: ClientAuthMethod = options.authMethod ?? (options.privateKey ? 'private_key_jwt' : 'client_secret_basic');
  if (authMethod === 'private_key_jwt' ? !options.privateKey : !options.clientSecret) {
    throw new TypeError(authMethod === 'private_key_jwt' ? 'private_key_jwt needs privateKey' : `${authMethod} needs clientSecret`);
  }
  // A secret without a named method: basic first (what a client accepts unless pinned to post), then post once.
  let fallback: ClientAuthMethod | undefined = options.authMethod === undefined && authMethod === 'client_secret_basic' ? 'client_secret_post' : undefined;
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let current: AccessToken | undefined;
  let inflight: Promise<AccessToken> | undefined;

  function refreshAt(token: AccessToken, issuedAt: number): number {
    const lifetime = token.expiresAt - issuedAt;
    const before = options.refreshBeforeSeconds !== undefined ? options.refreshBeforeSeconds * 1000 : Math.min(60_000, Math.max(5_000, lifetime / 10));
    return token.expiresAt - before;
  }
  let refreshAfter = 0;

  async function request(): Promise<AccessToken> {
    let token: AccessToken;
    try {
      token = await requestWith(authMethod);
    } catch (error) {
      if (!fallback || !(error instanceof TokenRequestError) || error.error !== 'invalid_client') throw error;
      token = await requestWith(fallback);
      authMethod = fallback;
    }
    // A method worked: a later invalid_client means a changed secret, which the other method cannot fix.
    fallback = undefined;
    return token;
  }

  async function requestWith(method: ClientAuthMethod): Promise<AccessToken> {
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    const scope = typeof options.scope === 'string' ? options.scope : options.scope?.join(' ');
    if (scope) params.set('scope', scope);
    if (options.audience) params.set('audience', options.audience);
    for (const r of [options.resource ?? []].flat()) params.append('resource', r);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (method === 'client_secret_basic') {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(options.clientId)}:${formEncode(options.clientSecret!)}`).toString('base64')}`;
    } else if (method === 'client_secret_post') {
      params.set('client_id', options.clientId);
      params.set('client_secret', options.clientSecret!);
    } else {
      params.set('client_id', options.clientId);
      params.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      params.set(
        'client_assertion',
        createClientAssertion({
          clientId: options.clientId,
          audience: tokenUrl!,
          privateKey: options.privateKey!,
          ...(options.keyId ? { keyId: options.keyId } : {}),
          ...(options.algorithm ? { algorithm: options.algorithm } : {}),
          now: now(),
        }),
      );
    }
    const issuedAt = now();
    let response: Response;
    try {
      response = await doFetch(tokenUrl!, { method: 'POST', headers, body: params.toString(), signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new TokenRequestError('request_failed', { description: `cannot reach ${tokenUrl}`, cause });
    }
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // a non-JSON answer is reported below by its status
    }
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new TokenRequestError(typeof body.error === 'string' ? body.error : 'invalid_response', {
        status: response.status,
        ...(typeof body.error_description === 'string' ? { description: body.error_description } : { description: `HTTP ${response.status}` }),
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      });
    }
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new TokenRequestError('invalid_response', { status: response.status, description: 'no access_token or expires_in in the answer' });
    }
    const token: AccessToken = {
      accessToken: body.access_token,
      tokenType: typeof body.token_type === 'string' ? body.token_type : 'Bearer',
      expiresAt: issuedAt + body.expires_in * 1000,
      scope: typeof body.scope === 'string' ? body.scope : undefined,
      response: body,
    };
    refreshAfter = refreshAt(token, issuedAt);
    return token;
  }

  async function getAccessToken(): Promise<AccessToken> {
    const at = now();
    if (current && at < refreshAfter) return current;
    inflight ??= request().finally(() => {
      inflight = undefined;
    });
    try {
      current = await inflight;
    } catch (error) {
      // A failed refresh is not fatal while the token we hold is still valid.
      if (current && now() < current.expiresAt) return current;
      throw error;
    }
    return current;
  }

  async function getToken(): Promise<string> {
    return (await getAccessToken()).accessToken;
  }

  function invalidate(): void {
    current = undefined;
    refreshAfter = 0;
  }

  return {
    tokenUrl,
    /** The method the next token request uses (after a fallback, the one that worked). */
    get authMethod(): ClientAuthMethod {
      return authMethod;
    },
    getAccessToken,
    /** The access token, from the cache or freshly fetched. */
    getToken,
    /** Forget the cached token (e.g. after the API said it is revoked). */
    invalidate,
    /** fetch with `Authorization: Bearer <token>`; on a 401 the token is fetched anew and the call tried once more. */
    async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
      const send = async () => {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${await getToken()}`);
        return doFetch(input, { ...init, headers });
      };
      const response = await send();
      const replayable = init.body === undefined || init.body === null || typeof init.body === 'string';
      if (response.status !== 401 || !replayable) return response;
      invalidate();
      return send();
    },
  };
}

export type TokenClient = ReturnType<typeof createTokenClient>;
