// `portcullis tokens revoke`: one access token, by its jti.
import type { Command } from 'commander';
import { addRequestCommand } from '../admin-call.js';
import type { CliContext } from '../context.js';

export function addTokens(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('access tokens');
  addRequestCommand(tokens, ctx, {
    name: 'revoke',
    description: 'revoke one access token by its jti',
    argument: '<jti>',
    method: 'POST',
    path: (jti) => `/admin/v1/tokens/${jti}/revoke`,
  });
}
