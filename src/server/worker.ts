// One worker of `portcullis start` under a supervisor (src/server/supervisor.ts): startPortcullis on the
// listeners the workers share, with the node-wide state reached through the supervisor link. It drains
// and exits 0 when the supervisor says so, on SIGTERM/SIGINT (a terminal's Ctrl-C reaches every process
// of the group), or when the supervisor is gone.
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { createWorkerLink, type IpcChannel } from '../cluster/worker-link.js';
import type { LoadedConfig } from '../config/load.js';
import { createLogger } from '../logger.js';
import { reloadBySignal } from './reload.js';
import { startPortcullis } from './start.js';
import { tracingRequested } from './tracing-sdk.js';

/** A worker replaced in a rolling restart keeps its idle keep-alive connections this long (src/server/drain.ts). */
const REPLACED_IDLE_LINGER_MS = 1_000;

/** `readConfig`: how a reload reads the config file, as the start did (same path and environment). */
export async function runWorker(loaded: LoadedConfig, readConfig: () => LoadedConfig): Promise<void> {
  const link = createWorkerLink(process as unknown as IpcChannel);
  // Every line of a worker says which one wrote it.
  // (made before startPortcullis starts the tracing SDK, so it asks the environment as that start will)
  const logger = createLogger(loaded.config.log.level, undefined, { traceIds: tracingRequested(process.env) }).child({
    worker: cluster.worker?.id ?? 0,
    pid: process.pid,
  });
  const running = await startPortcullis({
    loaded,
    logger,
    worker: link,
    readConfig,
    // POST /admin/v1/reload reaches one worker: it reloads (and audits, as the caller) and, if the file
    // was accepted, the supervisor has every other worker read the same file.
    requestReload: async (actor) => {
      const outcome = await running.reload({ actor });
      link.reloaded();
      return outcome;
    },
  });
  // prom-client answers the supervisor's AggregatorRegistry with this worker's own registry; its answering
  // listener is added by the first AggregatorRegistry a process constructs, so this worker makes one.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([running.app.metrics.registry]);
  link.onReload(({ audit }) => reloadBySignal(running, audit));
  let stopping = false;
  const stop = ({ replaced }: { replaced: boolean }) => {
    if (stopping) return;
    stopping = true;
    void running.close(replaced ? { idleLingerMs: REPLACED_IDLE_LINGER_MS } : {}).then(
      () => process.exit(0),
      (error: Error) => {
        running.app.log.error({ err: { message: error.message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  link.onShutdown(stop);
  // A SIGHUP meant for the node (a closed terminal reaches the whole group) reaches the workers from the supervisor, as a message.
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => stop({ replaced: false }));
  process.on('SIGINT', () => stop({ replaced: false }));
}
