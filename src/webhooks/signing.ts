// Standard Webhooks signing (https://www.standardwebhooks.com): `v1,<base64 HMAC-SHA256>` over
// `<webhook-id>.<webhook-timestamp>.<body>` with each live secret, space-separated while an old secret
// overlaps a new one. Secrets are `whsec_<base64 of 32 random bytes>`, sealed at rest under the master key.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { openBytes, sealBytes } from '../lib/seal.js';
import type { WebhookSecretRecord } from '../store/webhooks-types.js';

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The secret sealed for the endpoint (its id and the secret's id bound in). */
export function sealWebhookSecret(masterKey: Buffer, endpointId: string, secretId: string, secret: string): string {
  return sealBytes(masterKey, `${endpointId}/${secretId}`, Buffer.from(secret, 'utf8'));
}

export function openWebhookSecret(masterKey: Buffer, endpointId: string, secret: WebhookSecretRecord): string {
  return openBytes(masterKey, `${endpointId}/${secret.id}`, secret.sealed, `webhook secret of ${endpointId}`).toString('utf8');
}

/** The secrets that sign now: the newest, and older ones until they expire. */
export function liveSecrets(secrets: readonly WebhookSecretRecord[], now: number): WebhookSecretRecord[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
}

/** The three Standard Webhooks headers of one delivery attempt. */
export function webhookHeaders(input: { messageId: string; at: number; payload: string; secrets: readonly string[] }): Record<string, string> {
  const timestamp = new Date(Math.floor(input.at / 1000) * 1000);
  const signatures = input.secrets.map((secret) => new Webhook(secret).sign(input.messageId, timestamp, input.payload));
  return {
    'webhook-id': input.messageId,
    'webhook-timestamp': String(Math.floor(input.at / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
