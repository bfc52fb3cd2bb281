// `portcullis consumers …`: who calls the APIs.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { call, enc, printDeleted, show } from '../admin-call.js';
import type { CliContext } from '../context.js';
import { clean, limits, list, pageQuery, parseJsonOption, withConnection, withLimits, withPaging, type Common, type LimitOptions, type PageOptions } from '../options.js';

const CONSUMER_COLUMNS = ['id', 'name', 'enabled', 'scopes', 'externalIds', 'createdAt'];

interface ConsumerOptions extends Common, LimitOptions {
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
    enabled,
  });
}

export function addConsumers(program: Command, ctx: CliContext): void {
  const consumers = program.command('consumers').description('manage consumers');
  withLimits(
    withConnection(consumers.command('create'))
      .description('create a consumer')
      .requiredOption('--name <name>', 'unique name')
      .option('--metadata <json>', 'JSON object passed to upstreams')
      .option('--scopes <list>', 'comma-separated allowed scopes')
      .option('--external-ids <list>', 'comma-separated external IdP subjects'),
  )
    .option('--disabled', 'create disabled')
    .action(async (o: ConsumerOptions & { disabled?: boolean }) =>
      show(ctx, o, await call<AdminSchemas['Consumer']>(ctx, o, 'POST', '/admin/v1/consumers', consumerBody(o, o.disabled ? false : undefined))),
    );
  withPaging(withConnection(consumers.command('list')).description('list consumers')).action(async (o: Common & PageOptions) =>
    show(ctx, o, await call<AdminSchemas['ConsumerPage']>(ctx, o, 'GET', `/admin/v1/consumers?${pageQuery(o)}`), CONSUMER_COLUMNS),
  );
  withConnection(consumers.command('get'))
    .description('show one consumer')
    .argument('<id>')
    .action(async (id: string, o: Common) => show(ctx, o, await call<AdminSchemas['ConsumerWithQuota']>(ctx, o, 'GET', `/admin/v1/consumers/${enc(id)}`)));
  withLimits(
    withConnection(consumers.command('update'))
      .description('change a consumer')
      .argument('<id>')
      .option('--name <name>')
      .option('--metadata <json>')
      .option('--scopes <list>')
      .option('--external-ids <list>'),
  )
    .option('--enable')
    .option('--disable')
    .action(async (id: string, o: ConsumerOptions & { enable?: boolean; disable?: boolean }) =>
      show(ctx, o, await call<AdminSchemas['Consumer']>(ctx, o, 'PATCH', `/admin/v1/consumers/${enc(id)}`, consumerBody(o, o.enable ? true : o.disable ? false : undefined))),
    );
  withConnection(consumers.command('delete'))
    .description('delete a consumer and all its keys')
    .argument('<id>')
    .action(async (id: string, o: Common) => {
      await call<null>(ctx, o, 'DELETE', `/admin/v1/consumers/${enc(id)}`);
      printDeleted(ctx, o, id);
    });
}
