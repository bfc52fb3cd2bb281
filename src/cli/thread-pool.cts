// libuv's thread pool size for the `portcullis` executable (launch.cts). The pool runs token signatures
// (src/oauth/signing-keys/sign.ts), file reads and DNS look-ups. Its default of 4 threads is more than
// a small machine has cores: on 2 cores, four pool threads contend with the event loop for both cores
// and for the pool's lock. One thread fewer than the cores leaves the event loop a core of its own.
// Measured 2026-12-07 (callgrind, same run, POST /oauth/token): 375k instructions a token on the event
// loop with one thread, 422k with four (+12.5 %; every thread counted, 1,068k against 1,197k). Under
// 5 % this module and launch.cts would go, and the pool would keep libuv's default.

/** The pool size to run with: UV_THREADPOOL_SIZE when it is set, else cores − 1, from 1 to libuv's default of 4. */
export function threadPoolSize(cores: number, configured: string | undefined): string {
  if (configured !== undefined && configured.trim() !== '') return configured;
  return String(Math.min(4, Math.max(1, cores - 1)));
}
