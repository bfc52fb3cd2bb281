// `portcullis tokens revoke`: one access token, by its jti.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { call, enc, show } from '../admin-call.js';
import type { CliContext } from '../context.js';
import { withConnection, type Common } from '../options.js';

export function addTokens(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('access tokens');
  withConnection(tokens.command('revoke'))
    .description('revoke one access token by its jti')
    .argument('<jti>')
    .action(async (jti: string, o: Common) => show(ctx, o, await call<AdminSchemas['RevokedToken']>(ctx, o, 'POST', `/admin/v1/tokens/${enc(jti)}/revoke`)));
}
