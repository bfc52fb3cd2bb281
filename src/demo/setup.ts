// `npm start` without a config: the demo API `/echo` in front of the built-in echo upstream, and a
// demo consumer with a key created on the first run (the banner, src/server/banner.ts, prints it).
import type { App } from '../app.js';
import type { ApiConfig } from '../config/schema.js';

export const DEMO_CONSUMER_NAME = 'demo';
export const DEMO_SCOPES = ['echo:read'];
const ACTOR = { id: 'demo:setup', sourceIp: null };

export function demoApi(upstreamUrl: string): ApiConfig {
  return { name: 'echo', basePath: '/echo', upstream: upstreamUrl, auth: ['api-key'], scopes: DEMO_SCOPES, stripBasePath: false, passThrough: false };
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
