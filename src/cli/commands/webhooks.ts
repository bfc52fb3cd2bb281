// `portcullis webhooks …`: webhook endpoints (the signing secret is shown once), their delivery log
// and manual redelivery.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { adminCommand, call, enc, printDeleted, show } from '../admin-call.js';
import { type CliContext, CliError } from '../context.js';
import { type Common, clean, list, type PageOptions, pageQuery, withPaging } from '../options.js';
import { printJson, printRecord } from '../output.js';

const WEBHOOK_COLUMNS = ['id', 'consumerId', 'url', 'events', 'enabled', 'consecutiveFailures', 'disabledReason'];
const DELIVERY_COLUMNS = ['id', 'eventType', 'status', 'attempts', 'nextAttemptAt', 'lastAttemptAt', 'createdAt'];

interface CreateOptions extends Common {
  events: string;
  consumer?: string;
  description?: string;
  allowPrivateNetworks?: boolean;
}

/** A new secret: the record, then the secret, shown once. */
function printSecret(ctx: CliContext, o: Common, answer: { secret: string } & Record<string, unknown>): void {
  if (o.json) {
    printJson(ctx.stdout, answer);
    return;
  }
  const { secret, ...record } = answer;
  printRecord(ctx.stdout, record);
  ctx.stdout.write(`\nSigning secret (shown once, store it now):\n\n  ${secret}\n\n`);
}

function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new CliError('--expire-old-in takes a whole number of seconds, 0 or more');
  return value;
}

export function addWebhooks(program: Command, ctx: CliContext): void {
  const webhooks = program.command('webhooks').description('manage webhook endpoints and their deliveries');

  adminCommand(webhooks, 'create', 'register a webhook endpoint: the http(s) URL events are POSTed to (its signing secret is shown once)', '<url>')
    .requiredOption('--events <list>', 'comma-separated event types, e.g. key.created,key.revoked')
    .option('--consumer <consumerId>', 'only this consumer’s events (default: every consumer’s)')
    .option('--description <text>')
    .option('--allow-private-networks', 'let the endpoint reach loopback and private addresses')
    .action(async (url: string, o: CreateOptions) => {
      const body = clean({
        url,
        events: list(o.events),
        consumerId: o.consumer,
        description: o.description,
        allowPrivateNetworks: o.allowPrivateNetworks,
      });
      printSecret(ctx, o, await call<AdminSchemas['IssuedWebhook']>(ctx, o, 'POST', '/admin/v1/webhooks', body));
    });

  withPaging(adminCommand(webhooks, 'list', 'list webhook endpoints'))
    .option('--consumer <consumerId>', 'only this consumer’s endpoints, or `operator` for the operators’ own')
    .action(async (o: Common & PageOptions & { consumer?: string }) => {
      const query = pageQuery(o);
      if (o.consumer) query.set('consumer', o.consumer);
      show(ctx, o, await call<AdminSchemas['WebhookPage']>(ctx, o, 'GET', `/admin/v1/webhooks?${query}`), WEBHOOK_COLUMNS);
    });

  adminCommand(webhooks, 'delete', 'delete an endpoint with its pending messages and delivery log', '<webhookId>').action(async (id: string, o: Common) => {
    await call<null>(ctx, o, 'DELETE', `/admin/v1/webhooks/${enc(id)}`);
    printDeleted(ctx, o, id);
  });

  adminCommand(webhooks, 'roll-secret', 'issue a new signing secret; the old one also signs for --expire-old-in seconds', '<webhookId>')
    .option('--expire-old-in <seconds>', 'overlap in seconds (0 = the old secret stops now)', '0')
    .action(async (id: string, o: Common & { expireOldIn: string }) => {
      const body = { expireOldInSeconds: seconds(o.expireOldIn) };
      printSecret(ctx, o, await call<AdminSchemas['RolledWebhookSecret']>(ctx, o, 'POST', `/admin/v1/webhooks/${enc(id)}/secret`, body));
    });

  withPaging(adminCommand(webhooks, 'deliveries', 'the delivery log of an endpoint, newest first', '<webhookId>')).action(
    async (id: string, o: Common & PageOptions) =>
      show(
        ctx,
        o,
        await call<AdminSchemas['WebhookDeliveryPage']>(ctx, o, 'GET', `/admin/v1/webhooks/${enc(id)}/deliveries?${pageQuery(o)}`),
        DELIVERY_COLUMNS,
      ),
  );

  adminCommand(webhooks, 'retry', 'send a delivery again now, with a fresh retry window', '<webhookId>')
    .argument('<deliveryId>')
    .action(async (id: string, deliveryId: string, o: Common) => {
      const answer = await call<AdminSchemas['WebhookDelivery']>(ctx, o, 'POST', `/admin/v1/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/retry`);
      const { payload: _payload, attemptLog: _log, ...record } = answer;
      show(ctx, o, o.json ? answer : record);
    });
}
