#!/usr/bin/env node
// The `portcullis` command line: start the server, manage consumers and keys on the configured store
// or against a running admin API (--url, --admin-key). Each command is in commands/; a run gets its
// output streams, environment and folder from its caller (runCli), so runs share no state.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { addAdmin } from './commands/admin.js';
import { addClients } from './commands/clients.js';
import { addConsumers } from './commands/consumers.js';
import { addImport } from './commands/import.js';
import { addInit } from './commands/init.js';
import { addKeys } from './commands/keys.js';
import { addMigrate } from './commands/migrate.js';
import { addPortal } from './commands/portal.js';
import { addReload } from './commands/reload.js';
import { addScan } from './commands/scan.js';
import { addSigningKeys } from './commands/signing-keys.js';
import { addStart } from './commands/start.js';
import { addToken } from './commands/token.js';
import { addTokens } from './commands/tokens.js';
import { addUsage } from './commands/usage.js';
import { addWebhooks } from './commands/webhooks.js';
import { type CliContext, CliError, type CliIo, processIo } from './context.js';
import { packageVersion } from './version.js';

/** The program for one run; without a context, on this process's streams, environment and folder. */
export function buildProgram(ctx: CliContext = { ...processIo(), exitCode: 0 }): Command {
  const program = new Command('portcullis')
    .description('API gateway for machine-to-machine APIs: API keys and OAuth client-credentials JWTs')
    // Set before the commands are added, which inherit them: Commander's own output (help, usage
    // errors) goes to the run's streams, and its exits become a CommanderError for runCli.
    .configureOutput({ writeOut: (text) => ctx.stdout.write(text), writeErr: (text) => ctx.stderr.write(text) })
    .exitOverride()
    .version(packageVersion())
    .showHelpAfterError();
  for (const add of [
    addStart,
    addReload,
    addInit,
    addMigrate,
    addAdmin,
    addConsumers,
    addKeys,
    addUsage,
    addClients,
    addTokens,
    addSigningKeys,
    addToken,
    addPortal,
    addScan,
    addImport,
    addWebhooks,
  ])
    add(program, ctx);
  return program;
}

/** One run of the command line: `argv` without node and the script; the exit code it ends with. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx: CliContext = { ...io, exitCode: 0 };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    // Commander has printed its message (a usage error, help, the version) already.
    if (error instanceof CommanderError) return error.exitCode;
    ctx.stderr.write(`portcullis: ${messageOf(error)}\n`);
    return 1;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError) return error.message;
  if ((error as { code?: string }).code === 'EADDRINUSE') return `${(error as Error).message}; set another port in the config or PORTCULLIS_*_PORT`;
  return String((error as Error).message ?? error);
}

/** The executable (launch.cts): this process's arguments, streams, environment and folder. */
export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runCli(argv.slice(2), processIo());
}
