// Thousands of malformed credentials: random bytes, empty, huge, unicode, repeated headers, a key
// with trailing text. Every answer is 400, 401 or 431 — never 5xx — and the gateway keeps serving.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { accessLogWritten } from '../helpers/app.js';
import { type Harness, sendRaw, startHarness, startUpstream, type Upstream } from './helpers.js';

/** A deterministic generator, so a failure can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('gateway: malformed credentials', () => {
  let upstream: Upstream;
  let h: Harness;
  let key: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({ apis: [{ name: 'api', basePath: '/api', upstream: upstream.url }] });
    ({ key } = await h.issueKey());
  });
  after(async () => {
    agent.destroy();
    await h.close();
    await upstream.close();
  });

  function send(headers: Array<[string, string]>): Promise<number> {
    return new Promise((resolve) => {
      // Array headers keep repeats as they are; node then adds no Host of its own.
      const req = request(
        `${h.gateway.url}/api/x`,
        { agent, headers: [['host', 'gateway.test'], ...headers].flat() as unknown as Record<string, string> },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', () => resolve(0));
      req.end();
    });
  }

  function values(random: () => number): string[] {
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const printable = () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 80) }, () => 0x20 + Math.floor(random() * 95)));
    const latin1 = () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 40) }, () => 0x80 + Math.floor(random() * 128)));
    const keyLike = () =>
      `pcl_${printable()
        .replace(/[^0-9A-Za-z]/g, 'x')
        .padEnd(36, 'A')
        .slice(0, 36)}`;
    return [
      '',
      ' ',
      printable(),
      latin1(),
      keyLike(),
      `${key} trailing`,
      `${key}x`,
      key.slice(0, -1),
      key.toUpperCase(),
      `${key},${key}`,
      'x'.repeat(1 + Math.floor(random() * 8000)),
      `${pick(['Bearer', 'bearer', 'BEARER', 'Basic', 'Token', 'Bearer  ', ''])} ${pick([`${key} extra`, printable(), keyLike(), 'a.b.c', 'eyJ.eyJ.', '=', '=='])}`,
    ];
  }

  it('answers only 400/401/431 to thousands of malformed values and keeps serving', async (t) => {
    const random = prng(20260115);
    const seen = new Map<number, number>();
    const note = (status: number) => seen.set(status, (seen.get(status) ?? 0) + 1);
    let sent = 0;
    while (sent < 3000) {
      const batch: Array<Promise<number>> = [];
      for (const value of values(random)) {
        batch.push(send([['authorization', value]]), send([['x-api-key', value]]));
        sent += 2;
      }
      batch.push(
        send([
          ['authorization', `Bearer ${key}`],
          ['authorization', `Bearer ${key}`],
        ]),
      );
      batch.push(
        send([
          ['x-api-key', key],
          ['x-api-key', key],
        ]),
      );
      batch.push(
        send([
          ['authorization', `Bearer ${key}`],
          ['x-api-key', key],
        ]),
      );
      sent += 3;
      for (const status of await Promise.all(batch)) note(status);
    }
    // Raw bytes the HTTP client would refuse to send: control characters, NUL, bytes ≥ 0x80, huge heads.
    for (let i = 0; i < 300; i++) {
      const junk = randomBytes(1 + Math.floor(random() * 64));
      const huge = i % 25 === 0 ? 'a'.repeat(20_000 + Math.floor(random() * 50_000)) : '';
      const head = Buffer.concat([
        Buffer.from(`GET /api/x HTTP/1.1\r\nHost: x\r\n${i % 2 ? 'Authorization: Bearer ' : 'X-API-Key: '}`),
        huge ? Buffer.from(huge) : junk,
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]);
      note((await sendRaw(h.gateway.url, head)).status);
    }
    const statuses = [...seen.keys()].sort();
    for (const status of statuses) assert.ok([400, 401, 431].includes(status), `unexpected status ${status}: ${JSON.stringify([...seen])}`);
    assert.ok(seen.get(400)! > 0 && seen.get(401)! > 0 && seen.get(431)! > 0, JSON.stringify([...seen]));
    t.diagnostic(`statuses: ${JSON.stringify([...seen])} over ${sent + 300} requests`);
    assert.equal(await send([['x-api-key', key]]), 200, 'still serving');
    await accessLogWritten();
    assert.ok(!h.logs.join('').includes(key), 'no credential in any log line');
  });
});
