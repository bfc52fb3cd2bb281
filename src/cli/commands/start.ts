// `portcullis start`: the server, until SIGINT or SIGTERM; SIGHUP reloads its config file.
import type { Command } from 'commander';
import type { Actor } from '../../audit/log.js';
import { ConfigError } from '../../config/load.js';
import { PortcullisError } from '../../errors/codes.js';
import { startPortcullis } from '../../server/start.js';
import { type CliContext, loadCliConfig } from '../context.js';
import { configOption } from '../options.js';

/** Who a reload by signal is recorded as in the audit log. */
const SIGHUP_ACTOR: Actor = { id: 'signal:SIGHUP', sourceIp: null };

export function addStart(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('start Portcullis (no config file: a demo on SQLite under ./.portcullis/)')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const loaded = loadCliConfig(ctx, options.config);
      if (!loaded.demo && !loaded.config.oauth.masterKey) {
        throw new ConfigError(
          'oauth.masterKey is required: it encrypts the token signing keys. Set it in the config or PORTCULLIS_OAUTH_MASTER_KEY; ' +
            "`npx portcullis init` writes a config with a fresh one (or: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=').",
        );
      }
      const running = await startPortcullis({
        loaded,
        print: (text) => ctx.stderr.write(text),
        // A reload reads the file as this start did: same path, environment and working directory.
        readConfig: () => loadCliConfig(ctx, options.config),
      });
      if (ctx.onStarted) return ctx.onStarted(running);
      // The server is the process: a signal shuts it down gracefully (running.close(), bounded by
      // shutdown.gracePeriod) and ends the process with 0; a second signal ends it at once with 130.
      let stopping = false;
      const stop = () => {
        if (stopping) {
          running.app.log.warn('second signal: exiting without waiting');
          process.exit(130);
        }
        stopping = true;
        void running.close().then(
          () => process.exit(0),
          (error: Error) => {
            running.app.log.error({ err: { message: error.message } }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // SIGHUP re-reads the config file; the outcome (or why it was refused) is in the log.
      process.on('SIGHUP', () => {
        running.reload({ actor: SIGHUP_ACTOR }).catch((error: Error) => {
          if (!(error instanceof PortcullisError)) running.app.log.error({ err: { message: error.message } }, 'config reload failed');
        });
      });
    });
}
