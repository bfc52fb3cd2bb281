// `portcullis admin`: operator tasks on the configured store.
import type { Command } from 'commander';
import { printIssued } from '../admin-call.js';
import type { CliContext } from '../context.js';
import { configOption, jsonOption } from '../options.js';
import { localTransport } from '../transport.js';

export function addAdmin(program: Command, ctx: CliContext): void {
  const admin = program.command('admin').description('operator tasks');
  admin
    .command('create-key')
    .description('create an admin key (scope portcullis:admin) on the configured store')
    .option('--name <name>', 'a name for the key', 'admin key')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: { name: string; config?: string; json?: boolean }) => {
      const transport = await localTransport(ctx, options.config, { access: 'write' });
      try {
        const issued = await transport.app.createAdminKey(options.name, { id: 'cli:local', sourceIp: null });
        const { keyView } = await import('../../admin/views.js');
        printIssued(ctx, options, { ...keyView(issued.record), key: issued.key });
      } finally {
        await transport.close();
      }
    });
}
