// Remote library mode runs where only fetch exists: importing the entry points and verifying a key
// against a running Portcullis loads no database or Redis driver. A child node process refuses to
// load better-sqlite3, pg and ioredis (ESM resolve hook and CommonJS loader alike) and does just that.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Harness, startHarness } from '../gateway/helpers.js';

const run = promisify(execFile);
const DIST_SRC = new URL('../../src/', import.meta.url).href;

const HOOKS = `
const FORBIDDEN = /^(better-sqlite3|pg|ioredis)(\\/|$)/;
export async function resolve(specifier, context, next) {
  if (FORBIDDEN.test(specifier)) throw new Error('forbidden module ' + specifier);
  return next(specifier, context);
}
`;

const PRELOAD = (hooks: string) => `
import Module, { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const FORBIDDEN = /^(better-sqlite3|pg|ioredis)(\\/|$)/;
const load = Module._load;
Module._load = function (request, ...rest) {
  if (FORBIDDEN.test(request)) throw new Error('forbidden module ' + request);
  return load.call(this, request, ...rest);
};
`;

const CHILD = `
import { createRequire } from 'node:module';
const src = process.env.DIST_SRC;
if (process.env.MODE === 'control') {
  const refused = [];
  try { await import('better-sqlite3'); } catch (error) { refused.push(error.message); }
  try { createRequire(import.meta.url)('pg'); } catch (error) { refused.push(error.message); }
  console.log(JSON.stringify({ refused }));
} else {
  const { createAuthenticator } = await import(src + 'index.js');
  await import(src + 'library/fastify.js');
  await import(src + 'library/express.js');
  await import(src + 'library/hono.js');
  const auth = createAuthenticator({ remote: { url: process.env.ADMIN_URL, adminKey: process.env.ADMIN_KEY } });
  const decision = await auth.authenticate((name) => (name === 'x-api-key' ? process.env.KEY : undefined));
  await auth.verifier.close();
  console.log(JSON.stringify({ ok: decision.ok, consumerId: decision.ok ? decision.identity.consumerId : null, status: decision.status ?? null }));
}
`;

describe('remote library mode without native modules', () => {
  let h: Harness;
  let dir: string;

  before(async () => {
    h = await startHarness({ apis: [] });
    dir = mkdtempSync(join(tmpdir(), 'portcullis-remote-'));
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'preload.mjs'), PRELOAD(join(dir, 'hooks.mjs')));
    writeFileSync(join(dir, 'child.mjs'), CHILD);
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function child(env: Record<string, string>): Promise<any> {
    // execFile, not spawnSync: the harness in this process must answer the child's verify call.
    const { stdout } = await run(process.execPath, ['--import', pathToFileURL(join(dir, 'preload.mjs')).href, join(dir, 'child.mjs')], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', DIST_SRC, ...env },
    });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  }

  it('the child refuses the drivers (so the check below can fail)', async () => {
    const { refused } = await child({ MODE: 'control' });
    assert.deepEqual(refused, ['forbidden module better-sqlite3', 'forbidden module pg']);
  });

  it('imports every library entry point and verifies a key remotely without loading a driver', async () => {
    const { key, consumerId } = await h.issueKey();
    const answer = await child({ MODE: 'remote', ADMIN_URL: h.adminUrl, ADMIN_KEY: h.adminKey, KEY: key });
    assert.deepEqual(answer, { ok: true, consumerId, status: null });
  });
});
