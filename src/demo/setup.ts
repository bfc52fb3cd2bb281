// `npm start` without a config: the demo API `/echo` in front of the built-in echo upstream, with its
// OpenAPI document (echo-openapi.ts), and a demo consumer with a key created on the first run (the
// banner, src/server/banner.ts, prints it).
import type { App } from '../app.js';
import type { ApiConfig } from '../config/schema.js';

export const DEMO_CONSUMER_NAME = 'demo';
export const DEMO_SCOPES = ['echo:read'];
const ACTOR = { id: 'demo:setup', sourceIp: null };

/**
 * The demo API: keys and access tokens, its operations from `openapi` (src/demo/echo-openapi.ts), and
 * every other path under /echo passed through with the same auth and scopes.
 */
export function demoApi(upstreamUrl: string, openapi: string): ApiConfig {
  return {
    name: 'echo',
    basePath: '/echo',
    upstream: upstreamUrl,
    auth: ['api-key', 'jwt'],
    scopes: DEMO_SCOPES,
    openapi,
    stripBasePath: false,
    passThrough: true,
  };
}

export interface DemoCredentials {
  consumerId: string;
  /** The plaintext key: only on the run that created it. */
  key: string | null;
  keyId: string | null;
}

export async function ensureDemoConsumer(app: App): Promise<DemoCredentials> {
  const existing = await app.store.findConsumerByName(DEMO_CONSUMER_NAME);
  if (existing) return { consumerId: existing.id, key: null, keyId: null };
  const consumer = await app.consumers.create({ name: DEMO_CONSUMER_NAME, scopes: DEMO_SCOPES, metadata: { accountId: 'acct_demo', plan: 'free' } }, ACTOR);
  const issued = await app.keys.create(consumer.id, { name: 'demo key', scopes: DEMO_SCOPES }, ACTOR);
  return { consumerId: consumer.id, key: issued.key, keyId: issued.record.id };
}

export const DEMO_OPERATOR_EMAIL = 'operator@example.com';
export const DEMO_MEMBER_EMAIL = 'developer@example.com';

export interface DemoPortalLinks {
  /** The portal's first page. */
  portalUrl: string;
  /** A one-time operator sign-in link (1 hour). */
  operatorSignIn: string;
  /** A one-time invitation of a member of the demo consumer (7 days); its email is in the outbox too. */
  memberInvitation: string | null;
}

/**
 * On every demo start: a fresh operator sign-in link, and an invitation for the demo consumer's
 * member until someone has accepted one. Printed on stderr by the banner, never logged.
 */
export async function demoPortalLinks(app: App, consumerId: string): Promise<DemoPortalLinks> {
  const operatorSignIn = (await app.members.createOperatorSignInLink(DEMO_OPERATOR_EMAIL, ACTOR)).url;
  const joined = (await app.store.listMembers(consumerId)).length > 0;
  const memberInvitation = joined ? null : (await app.members.invite(consumerId, { email: DEMO_MEMBER_EMAIL, role: 'owner' }, ACTOR)).invitation.url;
  return { portalUrl: `${app.portal.publicUrl}${app.config.portal.path}`, operatorSignIn, memberInvitation };
}
