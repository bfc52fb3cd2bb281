// `portcullis usage`: request counts per time bucket and status class.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { adminCommand, call } from '../admin-call.js';
import type { CliContext } from '../context.js';
import { type Common, clean, parseTimeOption } from '../options.js';
import { printJson, printTable } from '../output.js';

interface UsageOptions extends Common {
  consumer?: string;
  key?: string;
  client?: string;
  api?: string;
  from?: string;
  to?: string;
  granularity: string;
}

export function addUsage(program: Command, ctx: CliContext): void {
  adminCommand(program, 'usage', 'request counts per time bucket and status class')
    .option('--consumer <id>', 'one consumer')
    .option('--key <id>', 'one API key')
    .option('--client <id>', 'one OAuth client')
    .option('--api <name>', 'one API')
    .option('--from <time>', 'ISO 8601 (default: 24 hours before --to)')
    .option('--to <time>', 'ISO 8601 (default: now)')
    .option('--granularity <g>', 'minute, hour or day', 'hour')
    .action(async (o: UsageOptions) => {
      const query = new URLSearchParams(
        clean({
          consumer: o.consumer,
          key: o.key,
          client: o.client,
          api: o.api,
          from: parseTimeOption('from', o.from),
          to: parseTimeOption('to', o.to),
          granularity: o.granularity,
        }),
      );
      const usage = await call<AdminSchemas['UsageReport']>(ctx, o, 'GET', `/admin/v1/usage?${query}`);
      if (o.json) return printJson(ctx.stdout, usage);
      const rows = usage.buckets.map((b) => ({ start: b.start, ...b.counts, total: b.total }));
      printTable(ctx.stdout, rows, ['start', '2xx', '3xx', '4xx', '5xx', 'total']);
      ctx.stdout.write(`\n${usage.total} requests from ${usage.from} to ${usage.to}\n`);
    });
}
