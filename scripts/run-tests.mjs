// Runs every compiled test file (dist/tests/**/*.test.js) with node's test runner, then searches the
// logs the tests captured for credentials (scripts/check-log-secrets.mjs). Node 20's `--test` does
// not expand globs, so the list is built here.
//
// Speed (#21): a test process costs ~0.3 s to start and ~1 s more to import the app and compile the
// admin API's schemas, which was most of the suite's CPU when each of the ~90 files had its own. So
// the files are run in a few processes, GROUPS of them, each importing its share of the files one
// after the other (their tests still run one at a time, in file order), and those processes run
// side by side. A file with hooks on the root test (outside any describe) gets a process of its
// own, and so does a file that bounds how long an answer takes (TIMED); the shared processes lower
// their own priority, so the other test processes do not take the cores such a file needs.
// PORTCULLIS_TEST_ISOLATE=1 runs every file in its own process, as before.
//
// `--cpu` prints the CPU time the test processes used (user + system, all of them, read from
// /proc/self/stat once they have ended) and the CPU time of the machine's PostgreSQL server during
// the run (every `postgres` process, so another client's queries count too). On a shared machine
// wall time follows the load; these follow the work (Linux only).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A hook outside any describe() is on the root test, which a shared process shares: such a file keeps a process of its own. */
const ROOT_HOOK = /^(?:before|after|beforeEach|afterEach)\(/m;
/**
 * Files whose assertions bound a latency while other work goes on (a lock, a partition, stalled
 * connections). Run in a shared process beside the others (three test processes on two cores),
 * store-sqlite-lock's "95 % of answers within 100 ms" failed once in four runs on a loaded machine.
 */
const TIMED = ['tests/security/store-sqlite-lock.test.js', 'tests/security/store-postgres-partition.test.js', 'tests/security/limits-connections.test.js'];
/** The longest files (wall time in a grouped run, 8–30 s each), one to a group (there are six), given out first. */
const LONGEST = [
  'tests/deploy/cluster-local.test.js',
  'tests/portal-ui/flows.test.js',
  'tests/portal-ui/public-pages.test.js',
  'tests/library/snippets.test.js',
  'tests/security/admin-route-walk.test.js',
  'tests/portal/resources.test.js',
];
/** Processes that run at once: one a core, and one more that runs while others wait for a child process, a socket or a timer. */
const CONCURRENCY = Number(process.env.PORTCULLIS_TEST_CONCURRENCY) || availableParallelism() + 1;
const GROUPS = CONCURRENCY * 2;

/** Fields 14–17 of /proc/PID/stat (utime, stime, cutime, cstime) in seconds, or undefined for a process gone. */
function cpuOf(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const seconds = (i) => Number(fields[i]) / 100;
  return { comm, self: seconds(11) + seconds(12), children: seconds(13) + seconds(14) };
}

/** PostgreSQL's CPU so far: every postgres process, and the backends its postmaster has reaped. */
function postgresCpu() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const cpu = cpuOf(pid);
    if (cpu?.comm === 'postgres') total += cpu.self + cpu.children;
  }
  return total;
}

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const reportCpu = process.argv.includes('--cpu');
const filter = process.argv.slice(2).filter((arg) => arg !== '--cpu');
const files = find('dist/tests')
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const logDir = mkdtempSync(join(tmpdir(), 'portcullis-test-logs-'));
const entryDir = mkdtempSync(join(tmpdir(), 'portcullis-test-groups-'));
try {
  const env = { ...process.env, PORTCULLIS_TEST_LOG_DIR: logDir };
  const isolate = process.env.PORTCULLIS_TEST_ISOLATE === '1';
  const solo = files.filter((f) => isolate || TIMED.some((t) => f.endsWith(t)) || ROOT_HOOK.test(readFileSync(f, 'utf8')));
  const rest = files.filter((f) => !solo.includes(f));
  const longest = LONGEST.map((l) => rest.find((f) => f.endsWith(l))).filter((f) => f !== undefined);
  // The longest first, then round-robin over the sorted list, so each group gets a share of every folder.
  const shared = [...longest, ...rest.filter((f) => !longest.includes(f))];
  const groups = Array.from({ length: Math.min(GROUPS, shared.length) }, (_, g) => shared.filter((_f, i) => i % GROUPS === g));
  const entries = groups.map((group, g) => {
    const entry = join(entryDir, `group-${g + 1}.test.mjs`);
    // A file that fails to load fails as a test of its own name; the group's other files still run.
    const urls = group.map((f) => pathToFileURL(resolve(f)).href);
    const code = [
      "import { setPriority } from 'node:os';",
      "import { test } from 'node:test';",
      'setPriority(10);',
      `for (const url of ${JSON.stringify(urls)}) {`,
      '  try {',
      '    await import(url);',
      '  } catch (error) {',
      "    test('loading ' + url, () => {",
      '      throw error;',
      '    });',
      '  }',
      '}',
    ];
    writeFileSync(entry, `${code.join('\n')}\n`);
    return entry;
  });
  const before = reportCpu ? { tests: cpuOf('self')?.children ?? 0, postgres: postgresCpu(), at: performance.now() } : undefined;
  const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${CONCURRENCY}`, '--test-reporter=spec', ...solo, ...entries], {
    stdio: 'inherit',
    env,
  });
  if (before) {
    const tests = (cpuOf('self')?.children ?? 0) - before.tests;
    const postgres = postgresCpu() - before.postgres;
    const wall = (performance.now() - before.at) / 1000;
    console.log(`cpu: test processes ${tests.toFixed(1)} s, PostgreSQL ${postgres.toFixed(1)} s (any client), wall ${wall.toFixed(1)} s`);
  }
  const check = spawnSync(process.execPath, ['scripts/check-log-secrets.mjs', logDir], { stdio: 'inherit' });
  process.exitCode = result.status || check.status || (result.signal || check.signal ? 1 : 0);
} finally {
  rmSync(logDir, { recursive: true, force: true });
  rmSync(entryDir, { recursive: true, force: true });
}
