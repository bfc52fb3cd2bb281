// The supervisor link's messages: each side acts only on well-formed messages of ours; anything else on
// the channel (prom-client's, malformed, another type) is ignored rather than trusted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSupervisorMessage, parseWorkerMessage } from '../../src/cluster/ipc.js';

test('worker messages: well-formed ones are kept, with only their known fields', () => {
  assert.deepEqual(parseWorkerMessage({ type: 'portcullis:listening', extra: 1 }), { type: 'portcullis:listening' });
  assert.deepEqual(parseWorkerMessage({ type: 'portcullis:change', change: { kind: 'key', hash: 'ab' } }), {
    type: 'portcullis:change',
    change: { kind: 'key', hash: 'ab' },
  });
  assert.deepEqual(parseWorkerMessage({ type: 'portcullis:limit', id: 3, limiter: 'requests', op: 'check', input: { rates: [] }, now: 5 }), {
    type: 'portcullis:limit',
    id: 3,
    limiter: 'requests',
    op: 'check',
    input: { rates: [] },
    now: 5,
  });
  assert.deepEqual(parseWorkerMessage({ type: 'portcullis:metrics', id: 0 }), { type: 'portcullis:metrics', id: 0 });
  assert.deepEqual(parseWorkerMessage({ type: 'portcullis:reloaded', extra: 1 }), { type: 'portcullis:reloaded' });
});

test('worker messages: malformed or foreign ones are ignored', () => {
  for (const bad of [
    null,
    'portcullis:listening',
    [],
    { type: 'prom-client:getMetricsRes', requestId: 1 },
    { type: 'portcullis:change', change: { kind: 'key' } },
    { type: 'portcullis:change', change: { kind: 'everything' } },
    { type: 'portcullis:limit', id: -1, limiter: 'requests', op: 'check', input: {} },
    { type: 'portcullis:limit', id: 1.5, limiter: 'requests', op: 'check', input: {} },
    { type: 'portcullis:limit', id: 1, limiter: 'other', op: 'check', input: {} },
    { type: 'portcullis:limit', id: 1, limiter: 'requests', op: 'add', input: {} },
    { type: 'portcullis:limit', id: 1, limiter: 'requests', op: 'check', input: 'x' },
    { type: 'portcullis:limit', id: 1, limiter: 'requests', op: 'check', input: {}, now: 'soon' },
    { type: 'portcullis:metrics' },
    { type: 'portcullis:shutdown' },
  ]) {
    assert.equal(parseWorkerMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('supervisor messages: shutdown, reload, changes and replies; anything else is ignored', () => {
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:shutdown', replaced: true }), { type: 'portcullis:shutdown', replaced: true });
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:shutdown', replaced: 'yes' }), { type: 'portcullis:shutdown', replaced: false });
  // Only `audit: true` makes a worker record the reload; anything else is a reload without an audit event.
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:reload' }), { type: 'portcullis:reload', audit: false });
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:reload', audit: true }), { type: 'portcullis:reload', audit: true });
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:reload', audit: 'yes' }), { type: 'portcullis:reload', audit: false });
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:reply', id: 2, ok: true, value: 'x' }), {
    type: 'portcullis:reply',
    id: 2,
    ok: true,
    value: 'x',
  });
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:reply', id: 2, ok: false, error: 42 }), {
    type: 'portcullis:reply',
    id: 2,
    ok: false,
    error: 'failed',
  });
  for (const bad of [
    undefined,
    { type: 'portcullis:reply', ok: true },
    { type: 'portcullis:change', change: null },
    { type: 'portcullis:limit', id: 1 },
    { type: 'prom-client:getMetricsReq' },
  ]) {
    assert.equal(parseSupervisorMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('a turn of limit checks is one message each way; one malformed item refuses the whole message', () => {
  const check = { type: 'portcullis:limit', id: 1, limiter: 'requests', op: 'check', input: { rates: [] } };
  assert.deepEqual(parseWorkerMessage({ type: 'portcullis:limits', checks: [check, { ...check, id: 2, op: 'peek', now: 7 }] }), {
    type: 'portcullis:limits',
    checks: [check, { ...check, id: 2, op: 'peek', now: 7 }],
  });
  for (const checks of [[], 'x', [check, { ...check, id: -1 }], [check, { type: 'portcullis:metrics', id: 3 }], [null]])
    assert.equal(parseWorkerMessage({ type: 'portcullis:limits', checks }), undefined, JSON.stringify(checks));

  const replies = [
    { type: 'portcullis:reply', id: 1, ok: true, value: { allowed: true } },
    { type: 'portcullis:reply', id: 2, ok: false, error: 'no node-wide limiter' },
  ];
  assert.deepEqual(parseSupervisorMessage({ type: 'portcullis:replies', replies }), { type: 'portcullis:replies', replies });
  for (const bad of ['x', [replies[0], { type: 'portcullis:reply', ok: true }], [{ type: 'portcullis:change', change: { kind: 'key', hash: 'ab' } }]])
    assert.equal(parseSupervisorMessage({ type: 'portcullis:replies', replies: bad }), undefined, JSON.stringify(bad));
});
