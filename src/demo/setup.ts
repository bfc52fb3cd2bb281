// `npm start` without a config: the demo API `/echo` in front of the built-in echo upstream, and a
// demo consumer with a key created on the first run, with curl lines that work when pasted.
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
  const consumer = await app.consumers.create(
    { name: DEMO_CONSUMER_NAME, scopes: DEMO_SCOPES, metadata: { accountId: 'acct_demo', plan: 'free' } },
    ACTOR,
  );
  const issued = await app.keys.create(consumer.id, { name: 'demo key', scopes: DEMO_SCOPES }, ACTOR);
  return { consumerId: consumer.id, key: issued.key, keyId: issued.record.id };
}

/** The demo part of the first-run banner. */
export function demoBanner({ gatewayUrl, adminUrl, demo, adminKey }: { gatewayUrl: string; adminUrl: string; demo: DemoCredentials; adminKey: string | null }): string {
  if (!demo.key) {
    return [
      '',
      `Demo API: ${gatewayUrl}/echo/… (the demo key was printed on the first run; make another with`,
      `  npx portcullis keys create ${demo.consumerId})`,
      '',
    ].join('\n');
  }
  const lines = [
    '',
    'Demo: the API /echo forwards to a built-in echo upstream and needs an API key. A demo consumer',
    'and its key were created (shown once):',
    '',
    `  PORTCULLIS_DEMO_KEY=${demo.key}`,
    '',
    'Call the API with the key (200; the echo shows the identity headers the upstream received):',
    '',
    `  curl -s ${gatewayUrl}/echo/hello -H "Authorization: Bearer ${demo.key}"`,
    `  curl -s ${gatewayUrl}/echo/hello -H "X-API-Key: ${demo.key}"`,
    '',
    'Without a key (401 with WWW-Authenticate):',
    '',
    `  curl -si ${gatewayUrl}/echo/hello`,
    '',
  ];
  if (adminKey && demo.keyId) {
    lines.push(
      'Revoke the demo key through the admin API; the gateway refuses it at once (401):',
      '',
      `  curl -s -X POST ${adminUrl}/admin/v1/keys/${demo.keyId}/revoke -H "Authorization: Bearer ${adminKey}"`,
      `  curl -si ${gatewayUrl}/echo/hello -H "Authorization: Bearer ${demo.key}"`,
      '',
    );
  }
  lines.push(`Metrics: ${adminUrl}/metrics (with the admin key)`, '');
  return lines.join('\n');
}
