// `npm run bench [name…]`: runs each bench script (dist/bench/<name>.js) in its own process, one
// after another, so they do not compete for the two cores. Every script bounds its own time.
// The soak (minutes long, `npm run soak`) runs only when named.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .map((f) => f.slice(0, -3))
  .filter((name) => (wanted.length === 0 && name !== 'soak') || wanted.includes(name))
  .sort();

let failed = 0;
for (const name of scripts) {
  console.log(`\n=== bench/${name} (${new Date().toISOString()}) ===`);
  const result = spawnSync(process.execPath, [join(here, `${name}.js`)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
