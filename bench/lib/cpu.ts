// CPU time of another process, for "CPU µs per request" figures: steadier than req/s when other work
// shares the machine.
import { readFileSync } from 'node:fs';

function statCpuMs(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** user + system CPU of a process in ms (Linux /proc; 0 elsewhere or once it has exited). */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** The same for this process's main thread alone (the event loop), leaving out libuv's thread pool. */
export function eventLoopCpuMs(): number {
  return statCpuMs(`/proc/self/task/${process.pid}/stat`);
}
