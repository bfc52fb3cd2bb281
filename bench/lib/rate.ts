// Rate of an in-process operation on one core: a warm-up, then batches until `seconds` have passed,
// so reading the clock stays out of the measured loop.
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
