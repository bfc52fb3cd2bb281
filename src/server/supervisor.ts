// `portcullis start` with `workers` (docs/deployment.md "Workers"): this process is the supervisor. It does
// the one-time work once (migrations, signing keys, the first admin key, the banner), forks N workers
// that each run startPortcullis on the shared listeners (node:cluster), restarts a worker that dies (with
// backoff), replaces them one by one on a rolling restart, and keeps what the workers of one node share
// without Redis: the change fan-out and the node-wide rate limiters. It serves no request itself.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { createApp } from '../app.js';
import type { Change } from '../cluster/changes.js';
import { type LimitRequest, parseWorkerMessage, type Reply, type SupervisorMessage, type WorkerMessage } from '../cluster/ipc.js';
import type { LoadedConfig } from '../config/load.js';
import { systemClock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { urlOf } from '../lib/listener-url.js';
import { reservePort } from '../lib/reserved-port.js';
import { createLimiters } from '../limits/limiter.js';
import { createLogger, type Logger } from '../logger.js';
import type { LimitCheck } from '../ratelimit/interface.js';
import { startBanner } from './banner.js';

/** A worker that dies is forked again after this, doubled for each death in a row, up to the maximum. */
export const RESTART_BACKOFF = { initialMs: 100, maxMs: 30_000, stableAfterMs: 10_000 };

export interface SupervisorOptions {
  loaded: LoadedConfig;
  workers: number;
  /** The workers' environment (they read the same config and PORTCULLIS_* overrides) and directory. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  print: (text: string) => void;
  logger?: Logger;
}

export interface RunningSupervisor {
  gatewayUrl: string;
  adminUrl: string;
  log: Logger;
  /** The workers' process ids now. */
  workerPids(): number[];
  /** Replaces every worker, one at a time: the new one listens before the old one drains. */
  rollingRestart(): Promise<void>;
  /** Forwards a reload to every worker (SIGHUP). */
  reload(): void;
  /** Graceful shutdown of every worker (each drains within shutdown.gracePeriod); resolves when all have exited. */
  close(): Promise<void>;
  /** Ends every worker at once (a second signal). */
  kill(): void;
}

interface Slot {
  worker: Worker;
  startedAt: number;
  /** Deaths in a row; the backoff doubles with each. */
  failures: number;
}

const LAUNCH = fileURLToPath(new URL('../cli/launch.cjs', import.meta.url));

/**
 * The listener ports the workers bind, tried here first: a port in use fails the start in this process,
 * with its message, before any worker; a port 0 is picked once, so every worker binds the same one and
 * the issuer names it.
 */
async function fixedPorts(loaded: LoadedConfig): Promise<{ listen: number; admin: number }> {
  const listen = await reservePort(loaded.config.listen.host, loaded.config.listen.port);
  // Both held at once, so that two ports 0 cannot be given the same number.
  const admin = await reservePort(loaded.config.admin.host, loaded.config.admin.port).finally(listen.release);
  await admin.release();
  return { listen: listen.port, admin: admin.port };
}

export async function startSupervisor({ loaded, workers: count, env, cwd, print, logger }: SupervisorOptions): Promise<RunningSupervisor> {
  const log = (logger ?? createLogger(loaded.config.log.level)).child({ supervisor: true });
  const ports = await fixedPorts(loaded);
  const config = { ...loaded.config, listen: { ...loaded.config.listen, port: ports.listen }, admin: { ...loaded.config.admin, port: ports.admin } };
  // Once, before any worker: migrations, the first signing key; the app stays open for the first admin key.
  const setup = await createApp({ config, logger: log, demo: loaded.demo });
  // Without Redis, the node-wide limiters live here and the workers ask them; with Redis, the workers use it.
  const limiters = config.redis ? undefined : createLimiters({ redisUrl: undefined, clock: systemClock, log });

  const registry = new Registry();
  const restarts = new Counter({ name: 'portcullis_worker_restarts_total', help: 'Workers forked again after one died unexpectedly', registers: [registry] });
  const slots = new Set<Slot>();
  new Gauge({
    name: 'portcullis_workers',
    help: 'Worker processes of this node now',
    registers: [registry],
    collect() {
      this.set(slots.size);
    },
  });
  const aggregator = new AggregatorRegistry();
  const gracePeriodMs = parseDuration(config.shutdown.gracePeriod);
  const workerEnv = {
    ...env,
    ...(loaded.path ? { PORTCULLIS_CONFIG: loaded.path } : {}),
    PORTCULLIS_LISTEN_PORT: String(ports.listen),
    PORTCULLIS_ADMIN_PORT: String(ports.admin),
  };
  cluster.setupPrimary({ exec: LAUNCH, args: ['start'], cwd });

  let stopping = false;
  /** Workers being replaced or stopped on purpose: their exit is not a death. */
  const retiring = new WeakSet<Worker>();
  const listening = new WeakMap<Worker, { promise: Promise<void>; resolve(): void; done: boolean }>();

  function send(worker: Worker, message: SupervisorMessage): void {
    if (worker.isConnected()) worker.send(message);
  }
  function fanOut(change: Change, from: Worker): void {
    for (const slot of slots) if (slot.worker !== from) send(slot.worker, { type: 'portcullis:change', change });
  }
  function reply(worker: Worker, id: number, work: () => Promise<unknown>): void {
    work().then(
      (value) => send(worker, { type: 'portcullis:reply', id, ok: true, value }),
      (error: Error) => send(worker, { type: 'portcullis:reply', id, ok: false, error: error.message }),
    );
  }
  async function answerLimit(check: LimitRequest): Promise<Reply> {
    const limiter = limiters?.[check.limiter];
    try {
      if (!limiter) throw new Error('no node-wide limiter: Redis is configured');
      const input = check.input as LimitCheck;
      const value = await (check.op === 'check' ? limiter.check(input, check.now) : limiter.peek(input, check.now));
      return { type: 'portcullis:reply', id: check.id, ok: true, value };
    } catch (error) {
      return { type: 'portcullis:reply', id: check.id, ok: false, error: (error as Error).message };
    }
  }
  async function nodeMetrics(): Promise<string> {
    return `${await aggregator.clusterMetrics()}\n${await registry.metrics()}`;
  }
  function onMessage(worker: Worker, raw: unknown): void {
    const message: WorkerMessage | undefined = parseWorkerMessage(raw);
    if (!message) return;
    switch (message.type) {
      case 'portcullis:listening':
        listening.get(worker)?.resolve();
        return;
      case 'portcullis:change':
        fanOut(message.change, worker);
        return;
      case 'portcullis:limit':
        void answerLimit(message).then((answer) => send(worker, answer));
        return;
      case 'portcullis:limits':
        // One turn's checks, in order (the limiter's counters see them as the worker made them), answered in one message.
        void Promise.all(message.checks.map(answerLimit)).then((replies) => send(worker, { type: 'portcullis:replies', replies }));
        return;
      case 'portcullis:metrics':
        reply(worker, message.id, nodeMetrics);
        return;
      case 'portcullis:restart':
        void rollingRestart();
        return;
      case 'portcullis:reloaded':
        // The worker that reloaded audited it; the others follow without a second audit event.
        for (const slot of slots) if (slot.worker !== worker) send(slot.worker, { type: 'portcullis:reload', audit: false });
        return;
    }
  }

  function fork(failures: number): Slot {
    let resolve = () => {};
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    const worker = cluster.fork(workerEnv);
    const state = { promise, resolve: () => {}, done: false };
    state.resolve = () => {
      state.done = true;
      resolve();
    };
    listening.set(worker, state);
    const slot: Slot = { worker, startedAt: Date.now(), failures };
    slots.add(slot);
    worker.on('message', (message: unknown) => onMessage(worker, message));
    worker.on('exit', (code, signal) => {
      slots.delete(slot);
      if (stopping || retiring.has(worker)) return;
      // It died on its own: fork another after a backoff (reset once a worker stayed up a while).
      const upMs = Date.now() - slot.startedAt;
      const inARow = upMs >= RESTART_BACKOFF.stableAfterMs ? 0 : slot.failures;
      const delayMs = Math.min(RESTART_BACKOFF.initialMs * 2 ** inARow, RESTART_BACKOFF.maxMs);
      restarts.inc();
      log.error({ pid: worker.process.pid, code, signal, upMs, restartInMs: delayMs }, 'worker exited unexpectedly; forking another');
      setTimeout(() => {
        if (!stopping) fork(inARow + 1);
      }, delayMs).unref();
    });
    return slot;
  }

  /** Resolves when the worker listens; rejects if it exits first. */
  function whenListening(worker: Worker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`worker ${worker.process.pid} exited with ${code} before listening`));
      worker.once('exit', exited);
      void listening.get(worker)?.promise.then(() => {
        worker.off('exit', exited);
        resolve();
      });
    });
  }

  /** Asks a worker to drain and waits for its exit; after the grace period and a margin it is killed. */
  function retire(worker: Worker, replaced: boolean): Promise<void> {
    retiring.add(worker);
    if (worker.isDead()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => worker.process.kill('SIGKILL'), gracePeriodMs + 5_000);
      worker.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      // A worker still starting has no handler for the message yet; SIGTERM ends it (gracefully once it has one).
      if (listening.get(worker)?.done) send(worker, { type: 'portcullis:shutdown', replaced });
      else worker.process.kill('SIGTERM');
    });
  }

  let rolling: Promise<void> | undefined;
  function rollingRestart(): Promise<void> {
    rolling ??= (async () => {
      log.info({ workers: slots.size }, 'rolling restart: replacing workers one at a time');
      for (const old of [...slots]) {
        if (stopping) break;
        const next = fork(0);
        try {
          await whenListening(next.worker);
        } catch (error) {
          log.error({ err: { message: (error as Error).message } }, 'rolling restart stopped: a new worker did not start; the old ones keep serving');
          return;
        }
        await retire(old.worker, true);
      }
      log.info({ workers: slots.size }, 'rolling restart done');
    })().finally(() => {
      rolling = undefined;
    });
    return rolling;
  }

  const started = Array.from({ length: count }, () => fork(0));
  try {
    await Promise.all(started.map((slot) => whenListening(slot.worker)));
  } catch (error) {
    stopping = true;
    for (const slot of slots) slot.worker.process.kill('SIGKILL');
    await setup.close().catch(() => {});
    await limiters?.close();
    throw error;
  }
  const gatewayUrl = urlOf(config.listen.host, ports.listen);
  const adminUrl = urlOf(config.admin.host, ports.admin);
  // With every worker listening, as a single process does it: a start that failed used up no key.
  const firstAdminKey = (await setup.hasAdminConsumer()) ? null : (await setup.createAdminKey('first admin key')).key;
  await setup.close();
  log.info({ gatewayUrl, adminUrl, workers: count, pids: [...slots].map((s) => s.worker.process.pid), config: loaded.path }, 'portcullis started');
  print(startBanner({ gatewayUrl, adminUrl, configPath: loaded.path, firstAdminKey, demo: null }));

  let closing: Promise<void> | undefined;
  return {
    gatewayUrl,
    adminUrl,
    log,
    workerPids: () => [...slots].flatMap((slot) => (slot.worker.process.pid ? [slot.worker.process.pid] : [])),
    rollingRestart,
    reload() {
      // One audit event for the node: the first worker records it.
      let audit = true;
      for (const slot of slots) {
        send(slot.worker, { type: 'portcullis:reload', audit });
        audit = false;
      }
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        log.info({ workers: slots.size, gracePeriod: config.shutdown.gracePeriod }, 'shutting down: draining every worker');
        await Promise.all([...slots].map((slot) => retire(slot.worker, false)));
        await limiters?.close();
      })();
      return closing;
    },
    kill() {
      stopping = true;
      for (const slot of slots) slot.worker.process.kill('SIGKILL');
    },
  };
}
