// What one run of the command line works with: where its output goes, the environment and the folder
// it runs in. The executable passes the process's own; tests pass their own, so runs share nothing.
import { isAbsolute, resolve } from 'node:path';
import { type LoadedConfig, loadConfig } from '../config/load.js';

/** Where text goes: process.stdout, or a test's buffer. */
export interface Writer {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * For a caller that runs `start` in its own process (a test, a supervisor): handed the running
   * server to close, instead of the server closing on this process's SIGINT and SIGTERM and exiting it.
   */
  onStarted?: ((server: { close(): Promise<void> }) => void) | undefined;
}

export interface CliContext extends CliIo {
  /** The exit code a command asks for without failing (`keys verify` of a refused key: 3). */
  exitCode: number;
}

export class CliError extends Error {}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * The config as the run's folder and environment give it. A relative SQLite store path is made
 * absolute against that folder (what the store, the demo master key and the app open);
 * `storeAsWritten` keeps the URL as the config wrote it, for messages.
 */
export function loadCliConfig(ctx: CliIo, path: string | undefined): LoadedConfig & { storeAsWritten: string } {
  const loaded = loadConfig({ path, env: ctx.env, cwd: ctx.cwd });
  const store = loaded.config.store;
  const sqlitePath = store.startsWith('sqlite:') ? store.slice('sqlite:'.length) : undefined;
  if (sqlitePath === undefined || sqlitePath === ':memory:' || isAbsolute(sqlitePath)) return { ...loaded, storeAsWritten: store };
  return { ...loaded, config: { ...loaded.config, store: `sqlite:${resolve(ctx.cwd, sqlitePath)}` }, storeAsWritten: store };
}
