// `portcullis keys …`: a consumer's API keys (the key itself is shown once, when issued).
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { addListCommand, addRequestCommand, adminCommand, call, enc, printIssued, show } from '../admin-call.js';
import { type CliContext, CliError } from '../context.js';
import {
  type AllowedIpsOptions,
  allowedIps,
  type Common,
  clean,
  enabledOf,
  expiresAtOption,
  type LimitOptions,
  limits,
  list,
  parseJsonOption,
  parseTimeOption,
  withAllowedIps,
  withCredentialNameAndScopes,
  withEnabling,
  withLimits,
} from '../options.js';

const KEY_COLUMNS = ['id', 'name', 'masked', 'scopes', 'enabled', 'expiresAt', 'revokedAt', 'lastUsedAt'];

interface KeyOptions extends Common, LimitOptions, AllowedIpsOptions {
  name?: string;
  scopes?: string;
  metadata?: string;
  expiresAt?: string;
}

export function addKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('manage API keys');
  withAllowedIps(
    withLimits(
      withCredentialNameAndScopes(adminCommand(keys, 'create', 'create an API key for a consumer (the key is shown once)', '<consumerId>'))
        .option('--metadata <json>')
        .addOption(expiresAtOption()),
    ),
  ).action(async (consumerId: string, o: KeyOptions) =>
    printIssued(
      ctx,
      o,
      await call<AdminSchemas['IssuedKey']>(
        ctx,
        o,
        'POST',
        `/admin/v1/consumers/${enc(consumerId)}/keys`,
        clean({
          name: o.name,
          scopes: list(o.scopes),
          metadata: parseJsonOption('metadata', o.metadata),
          expiresAt: parseTimeOption('expires-at', o.expiresAt),
          ...limits(o),
          allowedIps: allowedIps(o),
        }),
      ),
    ),
  );
  addListCommand(keys, ctx, {
    description: 'list a consumer’s keys (masked)',
    argument: '<consumerId>',
    path: (id) => `/admin/v1/consumers/${id}/keys`,
    columns: KEY_COLUMNS,
  });
  addRequestCommand(keys, ctx, { name: 'get', description: 'show one key (masked)', argument: '<keyId>', method: 'GET', path: (id) => `/admin/v1/keys/${id}` });
  withEnabling(
    withAllowedIps(
      withLimits(
        adminCommand(keys, 'update', 'change a key', '<keyId>')
          .option('--name <name>')
          .option('--scopes <list>')
          .option('--metadata <json>')
          .addOption(expiresAtOption()),
      ),
    ).option('--no-expiry', 'clear the expiry'),
  ).action(async (keyId: string, o: KeyOptions & { expiry?: boolean; enable?: boolean; disable?: boolean }) =>
    show(
      ctx,
      o,
      await call<AdminSchemas['Key']>(
        ctx,
        o,
        'PATCH',
        `/admin/v1/keys/${enc(keyId)}`,
        clean({
          name: o.name,
          scopes: list(o.scopes),
          metadata: parseJsonOption('metadata', o.metadata),
          expiresAt: o.expiry === false ? null : parseTimeOption('expires-at', o.expiresAt),
          ...limits(o),
          allowedIps: allowedIps(o),
          enabled: enabledOf(o),
        }),
      ),
    ),
  );
  addRequestCommand(keys, ctx, {
    name: 'revoke',
    description: 'revoke a key for good',
    argument: '<keyId>',
    method: 'POST',
    path: (id) => `/admin/v1/keys/${id}/revoke`,
  });
  adminCommand(keys, 'roll', 'replace a key; the old one keeps working for --expire-old-in seconds', '<keyId>')
    .option('--expire-old-in <seconds>', 'overlap in seconds (0 = the old key stops now)', '0')
    .action(async (keyId: string, o: Common & { expireOldIn: string }) => {
      const seconds = Number(o.expireOldIn);
      if (!Number.isInteger(seconds) || seconds < 0) throw new CliError('--expire-old-in takes a whole number of seconds, 0 or more');
      printIssued(ctx, o, await call<AdminSchemas['RolledKey']>(ctx, o, 'POST', `/admin/v1/keys/${enc(keyId)}/roll`, { expireOldInSeconds: seconds }));
    });
  adminCommand(keys, 'verify', 'verify a key (prints the result code)', '<key>')
    .option('--scopes <list>', 'scopes the key must have')
    .action(async (key: string, o: Common & { scopes?: string }) => {
      const result = await call<AdminSchemas['VerifyResponse']>(ctx, o, 'POST', '/admin/v1/keys/verify', clean({ key, scopes: list(o.scopes) }));
      show(ctx, o, result);
      if (!result.valid) ctx.exitCode = 3;
    });
}
