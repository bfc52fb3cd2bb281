// `portcullis portal`: the developer portal's operator accounts, on the configured store.
import type { Command } from 'commander';
import { type CliContext, CliError } from '../context.js';
import { configOption, jsonOption } from '../options.js';
import { localTransport } from '../transport.js';

export function addPortal(program: Command, ctx: CliContext): void {
  const portal = program.command('portal').description('the developer portal');
  portal
    .command('create-operator')
    .description('make a portal operator (creating the account if needed) and print a one-time sign-in link, valid for 1 hour')
    .requiredOption('--email <email>', "the operator's email address")
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: { email: string; config?: string; json?: boolean }) => {
      if (!/^[^\s@]+@[^\s@]+$/.test(options.email)) throw new CliError(`--email: ${JSON.stringify(options.email)} is not an email address`);
      const transport = await localTransport(ctx, options.config, { access: 'write' });
      try {
        const link = await transport.app.members.createOperatorSignInLink(options.email, { id: 'cli:local', sourceIp: null });
        const expiresAt = new Date(link.expiresAt).toISOString();
        if (options.json) ctx.stdout.write(`${JSON.stringify({ userId: link.userId, email: options.email, signInUrl: link.url, expiresAt })}\n`);
        else ctx.stdout.write(`One-time sign-in link for ${options.email} (works once, until ${expiresAt}):\n\n  ${link.url}\n`);
      } finally {
        await transport.close();
      }
    });
}
