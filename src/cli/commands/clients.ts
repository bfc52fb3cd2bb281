// `portcullis clients …`: a consumer's OAuth clients (client credentials); a secret is shown once.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { addListCommand, addRequestCommand, adminCommand, call, enc, printDeleted, show } from '../admin-call.js';
import { type CliContext, CliError } from '../context.js';
import {
  type AllowedIpsOptions,
  allowedIps,
  type Common,
  clean,
  enabledOf,
  type LimitOptions,
  limits,
  list,
  readJwksOption,
  wholeSeconds,
  withAllowedIps,
  withCredentialNameAndScopes,
  withEnabling,
  withLimits,
} from '../options.js';
import { printJson, printRecord } from '../output.js';

const CLIENT_COLUMNS = ['clientId', 'name', 'authMethods', 'scopes', 'audiences', 'tokenTtlSeconds', 'enabled', 'tokensRevokedBefore'];

interface ClientOptions extends Common, LimitOptions, AllowedIpsOptions {
  name?: string;
  scopes?: string;
  audiences?: string;
  tokenTtl?: string;
  authMethod?: string;
  jwks?: string;
  enable?: boolean;
  disable?: boolean;
  disabled?: boolean;
}

/** `--auth-method`: one method pins the client; both secret methods (as `clients list` prints them) unpin it. */
function authMethodOption(value: string | undefined): string | null | undefined {
  const methods = list(value);
  if (methods === undefined || methods.length === 1) return methods?.[0];
  if (methods.length === 2 && methods.includes('client_secret_basic') && methods.includes('client_secret_post')) return null;
  throw new CliError('--auth-method takes one method, or client_secret_basic,client_secret_post for both');
}

function clientBody(ctx: CliContext, o: ClientOptions) {
  return clean({
    name: o.name,
    scopes: list(o.scopes),
    audiences: list(o.audiences),
    tokenTtlSeconds: o.tokenTtl === undefined ? undefined : wholeSeconds('token-ttl', o.tokenTtl),
    authMethod: authMethodOption(o.authMethod),
    jwks: readJwksOption(o.jwks, ctx.cwd),
    enabled: o.disabled ? false : enabledOf(o),
    ...limits(o),
    allowedIps: allowedIps(o),
  });
}

function printClient(ctx: CliContext, options: Common, issued: AdminSchemas['IssuedClient']): void {
  if (options.json) {
    printJson(ctx.stdout, issued);
    return;
  }
  // The record without what a table cell cannot show well; the secret last, apart.
  const { clientSecret, secrets, jwks, authMethod, ...rest } = issued;
  printRecord(ctx.stdout, rest);
  if (clientSecret) ctx.stdout.write(`\nClient secret (shown once, store it now):\n\n  ${clientSecret}\n\n`);
}

export function addClients(program: Command, ctx: CliContext): void {
  const clients = program.command('clients').description('manage OAuth clients (client credentials)');
  withAllowedIps(
    withLimits(
      withCredentialNameAndScopes(adminCommand(clients, 'create', 'create an OAuth client for a consumer (its secret is shown once)', '<consumerId>'))
        .option('--audiences <list>', 'comma-separated aud values the client may request')
        .option('--token-ttl <seconds>', 'token lifetime (default oauth.tokenTtl)')
        .option('--auth-method <method>', 'pin one: client_secret_basic, client_secret_post or private_key_jwt (default: a secret for basic and post)')
        .option('--jwks <json|@file>', 'public keys for private_key_jwt')
        .option('--disabled', 'create disabled'),
    ),
  ).action(async (consumerId: string, o: ClientOptions) =>
    printClient(ctx, o, await call<AdminSchemas['IssuedClient']>(ctx, o, 'POST', `/admin/v1/consumers/${enc(consumerId)}/clients`, clientBody(ctx, o))),
  );
  addListCommand(clients, ctx, {
    description: 'list a consumer’s OAuth clients',
    argument: '<consumerId>',
    path: (id) => `/admin/v1/consumers/${id}/clients`,
    columns: CLIENT_COLUMNS,
  });
  addRequestCommand(clients, ctx, {
    name: 'get',
    description: 'show one OAuth client and its masked secrets',
    argument: '<clientId>',
    method: 'GET',
    path: (id) => `/admin/v1/clients/${id}`,
  });
  withAllowedIps(
    withLimits(
      withEnabling(
        adminCommand(clients, 'update', 'change an OAuth client', '<clientId>')
          .option('--name <name>')
          .option('--scopes <list>')
          .option('--audiences <list>')
          .option('--token-ttl <seconds>')
          .option('--auth-method <method>', 'pin one method, or client_secret_basic,client_secret_post for both')
          .option('--jwks <json|@file>'),
      ),
    ),
  ).action(async (clientId: string, o: ClientOptions) =>
    show(ctx, o, await call<AdminSchemas['Client']>(ctx, o, 'PATCH', `/admin/v1/clients/${enc(clientId)}`, clientBody(ctx, o))),
  );
  adminCommand(clients, 'delete', 'delete an OAuth client; its tokens stop working', '<clientId>').action(async (clientId: string, o: Common) => {
    await call<null>(ctx, o, 'DELETE', `/admin/v1/clients/${enc(clientId)}`);
    printDeleted(ctx, o, clientId);
  });
  adminCommand(clients, 'rotate-secret', 'issue a new client secret; the old one keeps working for --expire-old-in seconds', '<clientId>')
    .option('--expire-old-in <seconds>', 'overlap in seconds (0 = the old secret stops now)', '0')
    .action(async (clientId: string, o: Common & { expireOldIn: string }) => {
      const rotated = await call<AdminSchemas['RotatedSecret']>(ctx, o, 'POST', `/admin/v1/clients/${enc(clientId)}/secrets`, {
        expireOldInSeconds: wholeSeconds('expire-old-in', o.expireOldIn),
      });
      if (o.json) return printJson(ctx.stdout, rotated);
      ctx.stdout.write(`old secrets of ${clientId} expire at ${rotated.oldSecretsExpireAt}\n`);
      ctx.stdout.write(`\nClient secret (shown once, store it now):\n\n  ${rotated.clientSecret}\n\n`);
    });
  addRequestCommand(clients, ctx, {
    name: 'revoke-tokens',
    description: 'revoke every token the client was issued until now (new tokens work)',
    argument: '<clientId>',
    method: 'POST',
    path: (id) => `/admin/v1/clients/${id}/revoke-tokens`,
  });
}
