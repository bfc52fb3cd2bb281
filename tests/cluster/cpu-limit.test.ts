// `workers: auto`: the cores this process may use, from os.availableParallelism and the cgroup's CPU
// quota (v2 cpu.max, v1 cfs_quota_us / cfs_period_us), read here from fixture trees of those files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { autoWorkerCount, cgroupCpuLimit, workerCount } from '../../src/cluster/cpu-limit.js';

const FIXTURES = resolve('tests/fixtures/cgroup');

/** Reads `path` inside one fixture tree, as the function reads it from `/`. */
function fixture(name: string) {
  return (path: string): string | undefined => {
    try {
      return readFileSync(join(FIXTURES, name, path), 'utf8');
    } catch {
      return undefined;
    }
  };
}

test('cgroup v2 cpu.max: quota / period rounded up; "max" is no limit', () => {
  assert.equal(cgroupCpuLimit(fixture('v2-two-cores')), 2);
  assert.equal(cgroupCpuLimit(fixture('v2-half-core')), 1, 'half a core rounds up to one');
  assert.equal(cgroupCpuLimit(fixture('v2-unlimited')), undefined);
});

test('cgroup v1 cfs_quota_us / cfs_period_us; -1 is no limit; no cgroup files is no limit', () => {
  assert.equal(cgroupCpuLimit(fixture('v1-three-cores')), 3, '2.5 cores round up to 3');
  assert.equal(cgroupCpuLimit(fixture('v1-unlimited')), undefined);
  assert.equal(cgroupCpuLimit(fixture('none')), undefined);
});

test('auto = min(available parallelism, cgroup limit), at least 1', () => {
  assert.equal(autoWorkerCount({ parallelism: 16, read: fixture('v2-two-cores') }), 2, 'a 2-core container on a 16-core host');
  assert.equal(autoWorkerCount({ parallelism: 1, read: fixture('v1-three-cores') }), 1, 'affinity below the quota');
  assert.equal(autoWorkerCount({ parallelism: 8, read: fixture('v2-unlimited') }), 8);
  assert.equal(autoWorkerCount({ parallelism: 0, read: fixture('none') }), 1);
});

test('a number in the config is taken as it is; auto and absent read the cgroup', () => {
  assert.equal(workerCount(3, 16, fixture('v2-two-cores')), 3);
  assert.equal(workerCount('auto', 16, fixture('v2-two-cores')), 2);
  assert.equal(workerCount(undefined, 4, fixture('none')), 4);
});

test('garbage in cgroup files counts as no limit', () => {
  assert.equal(
    cgroupCpuLimit((path) => (path.endsWith('cpu.max') ? 'banana 100000' : undefined)),
    undefined,
  );
  assert.equal(
    cgroupCpuLimit((path) => (path.endsWith('cpu.max') ? '0 100000' : undefined)),
    undefined,
  );
});
