// `portcullis migrate`: apply pending database migrations to the configured store.
import type { Command } from 'commander';
import { parseDuration } from '../../lib/duration.js';
import { openStore } from '../../store/open.js';
import { type CliContext, loadCliConfig } from '../context.js';
import { configOption, jsonOption } from '../options.js';
import { printJson } from '../output.js';
import { announceStore } from '../transport.js';

export function addMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config, storeAsWritten } = loadCliConfig(ctx, options.config);
      await announceStore(ctx, config, storeAsWritten, 'write');
      const store = openStore(config.store, { timeoutMs: parseDuration(config.storeTimeout) });
      try {
        const applied = await store.migrate();
        if (options.json) printJson(ctx.stdout, { applied });
        else ctx.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n');
      } finally {
        await store.close();
      }
    });
}
