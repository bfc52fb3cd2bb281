// Runs every compiled test file (dist/tests/**/*.test.js) with node's test runner, then searches the
// logs the tests captured for credentials (scripts/check-log-secrets.mjs). Node 20's `--test` does
// not expand globs, so the list is built here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = find('dist/tests')
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const logDir = mkdtempSync(join(tmpdir(), 'portcullis-test-logs-'));
try {
  const env = { ...process.env, PORTCULLIS_TEST_LOG_DIR: logDir };
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
  const check = spawnSync(process.execPath, ['scripts/check-log-secrets.mjs', logDir], { stdio: 'inherit' });
  process.exitCode = result.status || check.status || (result.signal || check.signal ? 1 : 0);
} finally {
  rmSync(logDir, { recursive: true, force: true });
}
