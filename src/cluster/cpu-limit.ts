// How many workers `workers: auto` means: the cores this process may use, which is the smaller of the
// cores the OS gives it (os.availableParallelism: affinity) and the cgroup's CPU quota (containers).
// The count itself is pure: the files are read through `read`, so a test hands in fixtures.
import { readFileSync } from 'node:fs';

/** Reads a file's text, or undefined when it does not exist or cannot be read. */
export type ReadText = (path: string) => string | undefined;

const CGROUP_V2_MAX = '/sys/fs/cgroup/cpu.max';
const CGROUP_V1_QUOTA = ['/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us'];
const CGROUP_V1_PERIOD = ['/sys/fs/cgroup/cpu/cpu.cfs_period_us', '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us'];

/** Cores a quota allows (quota / period, rounded up), or undefined for no quota or a value we cannot read. */
function coresOf(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

/** The cgroup's CPU limit in whole cores (v2 `cpu.max`, else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), or undefined. */
export function cgroupCpuLimit(read: ReadText): number | undefined {
  const v2 = read(CGROUP_V2_MAX)?.trim();
  if (v2) {
    // "max 100000" (no limit) or "200000 100000" (2 cores).
    const [quota, period = '100000'] = v2.split(/\s+/);
    if (quota === 'max') return undefined;
    return coresOf(Number(quota), Number(period));
  }
  for (const [index, quotaPath] of CGROUP_V1_QUOTA.entries()) {
    const quota = read(quotaPath)?.trim();
    const period = read(CGROUP_V1_PERIOD[index]!)?.trim();
    // -1: no quota.
    if (quota && period) return coresOf(Number(quota), Number(period));
  }
  return undefined;
}

/** `workers: auto`: min(available parallelism, cgroup limit), at least 1. */
export function autoWorkerCount({ parallelism, read }: { parallelism: number; read: ReadText }): number {
  const limit = cgroupCpuLimit(read);
  return Math.max(1, Math.min(Math.floor(parallelism) || 1, limit ?? Number.POSITIVE_INFINITY));
}

/** Reads a cgroup file of this machine; undefined when it is absent (no cgroup, another version, not Linux). */
function readSystemFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The `workers` setting as a number of processes ('auto' or absent: the cores this process may use). */
export function workerCount(setting: number | 'auto' | undefined, parallelism: number, read: ReadText = readSystemFile): number {
  return typeof setting === 'number' ? setting : autoWorkerCount({ parallelism, read });
}
