// `portcullis consumers …`: who calls the APIs.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { addListCommand, addRequestCommand, adminCommand, call, enc, printDeleted, show } from '../admin-call.js';
import type { CliContext } from '../context.js';
import {
  type AllowedIpsOptions,
  allowedIps,
  type Common,
  clean,
  enabledOf,
  type KeyPolicyOptions,
  keyPolicy,
  type LimitOptions,
  limits,
  list,
  parseJsonOption,
  withAllowedIps,
  withEnabling,
  withKeyPolicy,
  withLimits,
} from '../options.js';

const CONSUMER_COLUMNS = ['id', 'name', 'enabled', 'scopes', 'externalIds', 'createdAt'];

interface ConsumerOptions extends Common, LimitOptions, AllowedIpsOptions, KeyPolicyOptions {
  name?: string;
  metadata?: string;
  scopes?: string;
  externalIds?: string;
}

function consumerBody(o: ConsumerOptions, enabled: boolean | undefined) {
  return clean({
    name: o.name,
    metadata: parseJsonOption('metadata', o.metadata),
    scopes: list(o.scopes),
    externalIds: list(o.externalIds),
    ...limits(o),
    allowedIps: allowedIps(o),
    keyPolicy: keyPolicy(o),
    enabled,
  });
}

export function addConsumers(program: Command, ctx: CliContext): void {
  const consumers = program.command('consumers').description('manage consumers');
  withKeyPolicy(
    withAllowedIps(
      withLimits(
        adminCommand(consumers, 'create', 'create a consumer')
          .requiredOption('--name <name>', 'unique name')
          .option('--metadata <json>', 'JSON object passed to upstreams')
          .option('--scopes <list>', 'comma-separated allowed scopes')
          .option('--external-ids <list>', 'comma-separated external IdP subjects'),
      ),
    ),
  )
    .option('--disabled', 'create disabled')
    .action(async (o: ConsumerOptions & { disabled?: boolean }) =>
      show(ctx, o, await call<AdminSchemas['Consumer']>(ctx, o, 'POST', '/admin/v1/consumers', consumerBody(o, o.disabled ? false : undefined))),
    );
  addListCommand(consumers, ctx, { description: 'list consumers', path: () => '/admin/v1/consumers', columns: CONSUMER_COLUMNS });
  addRequestCommand(consumers, ctx, {
    name: 'get',
    description: 'show one consumer',
    argument: '<id>',
    method: 'GET',
    path: (id) => `/admin/v1/consumers/${id}`,
  });
  withEnabling(
    withKeyPolicy(
      withAllowedIps(
        withLimits(
          adminCommand(consumers, 'update', 'change a consumer', '<id>')
            .option('--name <name>')
            .option('--metadata <json>')
            .option('--scopes <list>')
            .option('--external-ids <list>'),
        ),
      ),
    ),
  ).action(async (id: string, o: ConsumerOptions & { enable?: boolean; disable?: boolean }) =>
    show(ctx, o, await call<AdminSchemas['Consumer']>(ctx, o, 'PATCH', `/admin/v1/consumers/${enc(id)}`, consumerBody(o, enabledOf(o)))),
  );
  adminCommand(consumers, 'delete', 'delete a consumer and all its keys', '<id>').action(async (id: string, o: Common) => {
    await call<null>(ctx, o, 'DELETE', `/admin/v1/consumers/${enc(id)}`);
    printDeleted(ctx, o, id);
  });
}
