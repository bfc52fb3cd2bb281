// `portcullis start`: the server, until SIGINT or SIGTERM; SIGHUP reloads its config file. With a config
// file it is a supervisor and `workers` processes (src/server/supervisor.ts); the demo, and a start run
// inside another program (`onStarted`: a test), are one process.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { workerCount } from '../../cluster/cpu-limit.js';
import { ConfigError } from '../../config/load.js';
import { reloadBySignal } from '../../server/reload.js';
import { startPortcullis } from '../../server/start.js';
import { type RunningSupervisor, startSupervisor } from '../../server/supervisor.js';
import { runWorker } from '../../server/worker.js';
import { type CliContext, loadCliConfig } from '../context.js';
import { configOption } from '../options.js';

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
      // A reload reads the file as this start did: same path, environment and working directory.
      const readConfig = () => loadCliConfig(ctx, options.config);
      if (cluster.isWorker) return runWorker(loaded, readConfig);
      if (!loaded.demo && !ctx.onStarted) return supervise(ctx, loaded);
      const running = await startPortcullis({ loaded, print: (text) => ctx.stderr.write(text), readConfig });
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
      process.on('SIGHUP', () => reloadBySignal(running));
    });
}

async function supervise(ctx: CliContext, loaded: ReturnType<typeof loadCliConfig>): Promise<void> {
  const workers = workerCount(loaded.config.workers, availableParallelism());
  // The handlers come first: a signal that arrives while the workers start (a service manager's
  // reload or stop right after the start) is held and acted on once they listen, instead of ending
  // the supervisor by the signal's default action and orphaning the workers.
  let supervisor: RunningSupervisor | undefined;
  let stopping = false;
  let reloadHeld = false;
  let restartHeld = false;
  // A signal drains every worker and ends the supervisor with 0 once all have exited; a second one ends everything at once with 130.
  const stop = () => {
    if (stopping) {
      supervisor?.log.warn('second signal: ending every worker without waiting');
      supervisor?.kill();
      process.exit(130);
    }
    stopping = true;
    if (!supervisor) return;
    const running = supervisor;
    void running.close().then(
      () => process.exit(0),
      (error: Error) => {
        running.log.error({ err: { message: error.message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGUSR2', () => {
    if (supervisor) void supervisor.rollingRestart();
    else restartHeld = true;
  });
  process.on('SIGHUP', () => {
    if (supervisor) supervisor.reload();
    else reloadHeld = true;
  });
  supervisor = await startSupervisor({ loaded, workers, env: ctx.env, cwd: ctx.cwd, print: (text) => ctx.stderr.write(text) });
  if (stopping) {
    stopping = false;
    return stop();
  }
  if (reloadHeld) supervisor.reload();
  if (restartHeld) void supervisor.rollingRestart();
}
