// A worker's side of the supervisor link, on a real EventEmitter standing in for node:cluster's channel
// (process.send / 'message'): the limit checks of one event-loop turn travel as one message, and each
// answer reaches the check it belongs to.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createWorkerLink } from '../../src/cluster/worker-link.js';

function channel() {
  const sent: unknown[] = [];
  const emitter = new EventEmitter();
  const send = (message: unknown) => {
    sent.push(message);
    return true;
  };
  return { sent, emitter, send, on: emitter.on.bind(emitter) };
}

test('the checks of one turn go in one message; the replies settle each by its id', async () => {
  const ch = channel();
  const link = createWorkerLink(ch);
  const rates = [{ key: 'consumer:c1', limit: 10, windowMs: 60_000 }];
  const answers = [link.limiters.requests.check({ rates }), link.limiters.requests.peek({ rates }, 5), link.limiters.bruteForce.check({ rates })];
  assert.equal(ch.sent.length, 0, 'nothing is sent before the turn ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ch.sent.length, 1);
  const batch = ch.sent[0] as { type: string; checks: Array<{ id: number; limiter: string; op: string; now?: number }> };
  assert.equal(batch.type, 'portcullis:limits');
  assert.deepEqual(
    batch.checks.map(({ limiter, op, now }) => ({ limiter, op, now })),
    [
      { limiter: 'requests', op: 'check', now: undefined },
      { limiter: 'requests', op: 'peek', now: 5 },
      { limiter: 'bruteForce', op: 'check', now: undefined },
    ],
  );
  const [first, second, third] = batch.checks.map((check) => check.id);
  // Answered out of order, one of them refused.
  ch.emitter.emit('message', {
    type: 'portcullis:replies',
    replies: [
      { type: 'portcullis:reply', id: third, ok: false, error: 'no node-wide limiter' },
      { type: 'portcullis:reply', id: first, ok: true, value: 'first' },
      { type: 'portcullis:reply', id: second, ok: true, value: 'second' },
    ],
  });
  assert.equal(await answers[0], 'first');
  assert.equal(await answers[1], 'second');
  await assert.rejects(answers[2]!, /no node-wide limiter/);

  // A turn with one check sends it alone.
  const lone = link.limiters.requests.check({ rates });
  await new Promise((resolve) => setImmediate(resolve));
  const single = ch.sent[1] as { type: string; id: number };
  assert.equal(single.type, 'portcullis:limit');
  ch.emitter.emit('message', { type: 'portcullis:reply', id: single.id, ok: true, value: 'alone' });
  assert.equal(await lone, 'alone');
});

test('checks waiting for an answer fail when the supervisor is gone', async () => {
  const ch = channel();
  const link = createWorkerLink(ch);
  let shutdown = false;
  link.onShutdown(() => (shutdown = true));
  const answer = link.limiters.requests.check({ rates: [{ key: 'ip:1', limit: 1, windowMs: 1000 }] });
  await new Promise((resolve) => setImmediate(resolve));
  ch.emitter.emit('disconnect');
  await assert.rejects(answer, /the supervisor is gone/);
  assert.equal(shutdown, true);
});
