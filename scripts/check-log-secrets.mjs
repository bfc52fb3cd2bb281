// The end-of-suite search for credentials in logs (docs/security.md, "Secrets never reach a log").
// Reads every log line the run's tests captured (tests/helpers/logs.ts) and fails when one holds a
// secret a test noted (or the random part of a key), a string shaped like a key or client secret
// whose checksum holds, or a JWT. Run by scripts/run-tests.mjs after the tests, on their log folder.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWellFormedKey, RANDOM_LENGTH } from '../dist/src/keys/format.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/check-log-secrets.mjs LOG_DIR');
  process.exit(2);
}

const files = readdirSync(dir);
const secrets = new Set();
for (const name of files.filter((f) => f.endsWith('.secrets'))) {
  for (const secret of readFileSync(join(dir, name), 'utf8').split('\n')) {
    if (!secret) continue;
    secrets.add(secret);
    const keyShape = /^([a-z][a-z0-9]{0,15})_([0-9A-Za-z]{36})$/.exec(secret);
    if (keyShape) secrets.add(keyShape[2].slice(0, RANDOM_LENGTH));
  }
}

// A candidate is any run of the characters secrets are made of; each is checked whole, by shape,
// and (for a key's random part) by every window of its length.
const RUN = /[0-9A-Za-z_.-]{16,}/g;
const KEY = /(?<![0-9A-Za-z])([a-z][a-z0-9]{0,15})_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;
const JWT = /eyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]*/g;

function findings(line) {
  const found = [];
  for (const [candidate, prefix] of line.matchAll(KEY)) {
    if (isWellFormedKey(candidate, prefix)) found.push(`a key or client secret (${prefix}_…)`);
  }
  if (JWT.test(line)) found.push('a JWT');
  JWT.lastIndex = 0;
  for (const [run] of line.matchAll(RUN)) {
    if (secrets.has(run)) found.push('a secret a test created');
    else if (run.length >= RANDOM_LENGTH) {
      for (const part of run.split(/[_.-]/)) {
        for (let i = 0; i + RANDOM_LENGTH <= part.length; i++) {
          if (secrets.has(part.slice(i, i + RANDOM_LENGTH))) {
            found.push('the random part of a key a test created');
            break;
          }
        }
      }
    }
  }
  return found;
}

let lines = 0;
const problems = [];
for (const name of files.filter((f) => f.endsWith('.log'))) {
  for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
    if (!line) continue;
    lines++;
    for (const what of new Set(findings(line))) {
      let msg = '';
      try {
        msg = String(JSON.parse(line).msg ?? '');
      } catch {
        msg = '(not JSON)';
      }
      if (problems.length < 20) problems.push(`${what} in a log line of test process ${name.replace('.log', '')}: msg "${msg.slice(0, 80)}"`);
      else problems.length++;
    }
  }
}

const summary = `log secret check: ${lines} log lines from ${files.filter((f) => f.endsWith('.log')).length} test processes, ${secrets.size} secrets noted`;
if (problems.length > 0) {
  console.error(`${summary}: ${problems.length} found`);
  for (const problem of problems.filter(Boolean)) console.error(`  ✖ ${problem}`);
  process.exit(1);
}
console.log(`${summary}: none found`);
