// `portcullis init`: a commented portcullis.yaml with a fresh master key, readable by its owner only.
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { sampleConfig } from '../../config/sample.js';
import { generateMasterKey } from '../../oauth/master-key.js';
import { type CliContext, CliError } from '../context.js';

export function addInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write a commented portcullis.yaml')
    .option('--path <file>', 'where to write it', 'portcullis.yaml')
    .option('--force', 'overwrite an existing file')
    .action((options: { path: string; force?: boolean }) => {
      const path = resolve(ctx.cwd, options.path);
      if (existsSync(path) && !options.force) throw new CliError(`${path} exists; pass --force to overwrite it`);
      writeFileSync(path, sampleConfig(generateMasterKey()), { mode: 0o600 });
      ctx.stdout.write(`wrote ${path}\nnext: npx portcullis start --config ${options.path}\n`);
    });
}
