// Bodies stream through the gateway: an 8 MiB upload reaches the upstream while the client is still
// sending, and an 8 MiB download reaches the client while the upstream is still writing. A gateway
// that held whole bodies would deadlock on these interlocks (each side waits for the other's first
// bytes before sending the rest), so the tests assert arrival order, not timing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Harness, rawRequest, startHarness, startUpstream, type Upstream } from './helpers.js';

const MiB = 1024 * 1024;
const TOTAL = 8 * MiB;

function chunkOf(index: number): Buffer {
  return Buffer.alloc(MiB, index % 251);
}

/** Resolves when `check()` is true; fails the test after `ms` (a deadlock guard, not a timing assertion). */
function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`gave up waiting for ${what}: the gateway seems to buffer`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('gateway: streaming bodies', () => {
  let upstream: Upstream;
  let h: Harness;
  let key: string;
  let upstreamReceived = 0;
  let clientReceived = 0;
  let uploadHash = '';

  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url?.startsWith('/files/upload')) {
        upstreamReceived = 0;
        const hash = createHash('sha256');
        req.on('data', (chunk: Buffer) => {
          upstreamReceived += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => {
          uploadHash = hash.digest('hex');
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ received: upstreamReceived }));
        });
        return;
      }
      // Download: 1 MiB, then the rest only once the client has seen bytes.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
      res.write(chunkOf(0));
      void waitFor(() => clientReceived > 0, 'the first downloaded bytes at the client').then(async () => {
        for (let i = 1; i < 8; i++) {
          if (!res.write(chunkOf(i))) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      });
    });
    h = await startHarness({ apis: [{ name: 'files', basePath: '/files', upstream: upstream.url }], gateway: { maxBodySize: 9 * MiB } });
    ({ key } = await h.issueKey());
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  it('streams an 8 MiB upload: the upstream has bytes before the client sends the rest', async () => {
    const expected = createHash('sha256');
    for (let i = 0; i < 8; i++) expected.update(chunkOf(i));
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${h.gateway.url}/files/upload`, { method: 'POST', headers: { 'x-api-key': key, 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write(chunkOf(0));
      waitFor(() => upstreamReceived > 0, 'the first uploaded bytes at the upstream')
        .then(async () => {
          assert.ok(upstreamReceived < TOTAL);
          for (let i = 1; i < 8; i++) {
            if (!req.write(chunkOf(i))) await new Promise((r) => req.once('drain', r));
          }
          req.end();
        })
        .catch(reject);
    });
    assert.equal(result.status, 200);
    assert.deepEqual(JSON.parse(result.body), { received: TOTAL });
    assert.equal(uploadHash, expected.digest('hex'));
  });

  it('streams an 8 MiB download: the client has bytes before the upstream writes the rest', async () => {
    clientReceived = 0;
    const hash = createHash('sha256');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${h.gateway.url}/files/download`, { headers: { 'x-api-key': key } }, (res) => {
        res.on('data', (chunk: Buffer) => {
          clientReceived += chunk.length;
          hash.update(chunk);
        });
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.equal(clientReceived, TOTAL);
    const expected = createHash('sha256');
    for (let i = 0; i < 8; i++) expected.update(chunkOf(i));
    assert.equal(hash.digest('hex'), expected.digest('hex'));
  });

  it('refuses a body over gateway.maxBodySize with 413, declared or chunked', async () => {
    const declared = await rawRequest(`${h.gateway.url}/files/upload`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-length': String(10 * MiB) },
    }).catch((e) => e);
    // The gateway answers before reading the body and closes the connection.
    if (!(declared instanceof Error)) {
      assert.equal(declared.status, 413);
      assert.equal(declared.json().code, 'PAYLOAD_TOO_LARGE');
    }
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${h.gateway.url}/files/upload`, { method: 'POST', headers: { 'x-api-key': key, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', () => resolve(-1));
      void (async () => {
        for (let i = 0; i < 10 && !req.destroyed; i++) {
          if (!req.write(chunkOf(i))) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    });
    assert.ok(chunked === 413 || chunked === -1, `got ${chunked}`);
  });
});
