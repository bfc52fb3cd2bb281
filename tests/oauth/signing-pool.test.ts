// Signatures are made on libuv's thread pool, which file reads and DNS look-ups share. With every pool
// thread held (here by opens of FIFOs that no writer has opened yet), a token is still issued: the
// event loop signs it once it has waited STALLED_MS, and it verifies like any other. The pool is
// held only around the token request: the harness's own set-up and jose's verification use it too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { STALLED_MS, signaturesMadeOnLoop } from '../../src/oauth/signing-keys/sign.js';
import { createOAuthHarness, ISSUER } from './helpers.js';

function canMakeFifos(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Opens each FIFO for writing, which lets its reader's open finish; without blocking if that open has not started yet. */
async function release(fifos: string[]): Promise<void> {
  const left = new Set(fifos);
  for (let attempt = 0; left.size > 0 && attempt < 500; attempt++) {
    for (const fifo of left) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        left.delete(fifo);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      }
    }
    if (left.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(left.size, 0, 'a FIFO reader never started');
}

test('a token is issued while every thread-pool thread is busy', { skip: canMakeFifos() ? false : 'needs mkfifo' }, async () => {
  const h = await createOAuthHarness();
  const client = await h.createClient((await h.createConsumer()).id);
  const jwks = (await h.get('/.well-known/jwks.json')).body;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pool-'));
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const fifos = Array.from({ length: threads }, (_, i) => join(dir, `fifo-${i}`));
  for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
  // Each open holds a pool thread until a writer opens the same FIFO.
  const held = fifos.map((fifo) => open(fifo, 'r'));
  // Should the token never come (no watchdog), free the pool anyway so the run fails instead of hanging.
  const safety = setTimeout(() => void release(fifos), 10_000);
  let token: string;
  try {
    const before = signaturesMadeOnLoop();
    const started = Date.now();
    token = await h.tokenFor(client);
    assert.ok(Date.now() - started >= STALLED_MS, 'the pool was free after all: the test proves nothing');
    assert.equal(signaturesMadeOnLoop(), before + 1);
    assert.match(await h.app.metrics.render(), new RegExp(`^portcullis_oauth_signatures_on_event_loop_total ${before + 1}$`, 'm'));
  } finally {
    clearTimeout(safety);
    await release(fifos);
    for (const handle of await Promise.all(held)) await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
  try {
    // Verification (jose, WebCrypto) runs on the pool too: only now that it is free again.
    await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, typ: 'at+jwt', currentDate: new Date(h.clock.now()) });
    assert.equal((await h.authenticate(token)).ok, true);
  } finally {
    await h.close();
  }
});
