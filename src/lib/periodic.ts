// A batch writer's timer: flush every interval (without keeping the process alive), and once more
// on stop so nothing collected is lost at shutdown.
export interface Periodic {
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

export function periodicFlush(flush: () => Promise<unknown>): Periodic {
  let timer: NodeJS.Timeout | undefined;
  return {
    start(intervalMs) {
      timer = setInterval(() => void flush(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
