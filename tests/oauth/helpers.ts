// OAuth test harness: the shared test app (real store, manual clock, admin API) with a master key and
// our issuer, plus the OAuth endpoints on their own Fastify instance driven with inject().
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ADMIN_SCOPE } from '../../src/app.js';
import type { AuthOutcome, AuthRequirements } from '../../src/auth/types.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { registerOAuthRoutes } from '../../src/oauth/routes.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { noteSecretsIn } from '../helpers/logs.js';
import type { StoreAdapter } from '../helpers/stores.js';

export const ISSUER = 'https://auth.portcullis.test';

export interface HttpResult {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  text: string;
}

export interface OAuthHarness extends TestApp {
  public: FastifyInstance;
  createConsumer(input?: Record<string, unknown>): Promise<any>;
  /** Creates a client; the response includes `clientSecret` for secret clients. */
  createClient(consumerId: string, input?: Record<string, unknown>): Promise<any>;
  /** POST a form to the public OAuth endpoints. */
  post(path: string, params: Record<string, string | string[]>, headers?: Record<string, string>): Promise<HttpResult>;
  get(path: string): Promise<HttpResult>;
  /** client_credentials with client_secret_basic; returns the access token (asserts 200). */
  tokenFor(client: { clientId: string; clientSecret: string }, params?: Record<string, string>): Promise<string>;
  authenticate(token: string, requirements?: Partial<AuthRequirements>): Promise<AuthOutcome>;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function form(params: Record<string, string | string[]>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) search.append(name, v);
  return search.toString();
}

let counter = 0;

export async function createOAuthHarness(
  options: { config?: Record<string, unknown>; oauth?: Record<string, unknown>; adapter?: StoreAdapter } = {},
): Promise<OAuthHarness> {
  const t = await createTestApp({
    ...(options.adapter ? { adapter: options.adapter } : {}),
    config: { issuer: ISSUER, oauth: { masterKey: generateMasterKey(), ...options.oauth }, ...options.config },
  });
  // The app's logger (captured in `logs`), as on the real public listener.
  const server = Fastify({ loggerInstance: t.app.log as unknown as FastifyBaseLogger });
  await registerOAuthRoutes(server, {
    oauth: t.app.oauth,
    isAdminKey: (key) => t.app.verifyKey(key, { scopes: [ADMIN_SCOPE] }),
  });
  await server.ready();

  async function send(method: 'GET' | 'POST', path: string, payload?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    const response = await server.inject({
      method,
      url: path,
      headers: payload === undefined ? headers : { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      ...(payload === undefined ? {} : { payload }),
    });
    let body: unknown = null;
    try {
      body = response.body ? JSON.parse(response.body) : null;
    } catch {
      body = response.body;
    }
    noteSecretsIn(body);
    return { status: response.statusCode, body, headers: response.headers, text: response.body };
  }

  const harness: OAuthHarness = {
    ...t,
    public: server,
    async createConsumer(input = {}) {
      const response = await t.call('POST', '/admin/v1/consumers', { name: `consumer-${++counter}`, scopes: ['orders:read', 'orders:write'], ...input });
      if (response.status !== 201) throw new Error(`consumer: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    },
    async createClient(consumerId, input = {}) {
      const response = await t.call('POST', `/admin/v1/consumers/${consumerId}/clients`, { name: 'client', ...input });
      if (response.status !== 201) throw new Error(`client: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    },
    post: (path, params, headers) => send('POST', path, form(params), headers),
    get: (path) => send('GET', path),
    async tokenFor(client, params = {}) {
      const response = await send('POST', '/oauth/token', form({ grant_type: 'client_credentials', ...params }), {
        authorization: basic(client.clientId, client.clientSecret),
      });
      if (response.status !== 200) throw new Error(`token: ${response.status} ${response.text}`);
      return response.body.access_token;
    },
    async authenticate(token, requirements = {}) {
      return t.app.authMethods.get('jwt')!.authenticate(token, { scopes: [], ...requirements });
    },
    async close() {
      await server.close();
      await t.close();
    },
  };
  return harness;
}
