// Rates of in-process operations, each for a bounded time.
import { eventLoopCpuMs } from './cpu.js';

/** Rate on one core: a warm-up, then batches until `seconds` have passed, so reading the clock stays out of the measured loop. */
export async function ratePerSecond(work: (i: number) => unknown, seconds: number, batch = 1000): Promise<number> {
  for (let i = 0; i < batch * 5; i++) await work(i);
  let done = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) await work(done + i);
    done += batch;
    now = process.hrtime.bigint();
  }
  return done / (Number(now - start) / 1e9);
}

/**
 * Rate of an asynchronous operation with `inFlight` calls outstanding (as a busy server has them), and
 * the event loop's own CPU per call: work handed to libuv's thread pool counts in the rate, not there.
 */
export async function concurrentRate(work: () => Promise<unknown>, seconds: number, inFlight = 16): Promise<{ rate: number; loopMicros: number }> {
  const run = (ms: number) =>
    new Promise<number>((resolve, reject) => {
      const deadline = performance.now() + ms;
      let done = 0;
      let open = 0;
      const next = (): void => {
        if (performance.now() >= deadline) {
          if (open === 0) resolve(done);
          return;
        }
        open++;
        work().then(() => {
          open--;
          done++;
          next();
        }, reject);
      };
      for (let i = 0; i < inFlight; i++) next();
    });
  await run(500);
  const cpuBefore = eventLoopCpuMs();
  const start = performance.now();
  const done = await run(seconds * 1000);
  const elapsed = performance.now() - start;
  return { rate: (done * 1000) / elapsed, loopMicros: ((eventLoopCpuMs() - cpuBefore) * 1000) / done };
}
