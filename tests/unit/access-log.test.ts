// The access-log writer must produce what pino itself would have written for the same fields.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { accessLogWriter, createLogger, jsonString } from '../../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

test('access-log lines have the shape of pino lines, with the same fields, bindings and level', async () => {
  const { lines, stream } = capture();
  const log = createLogger('info', stream).child({ api: 'orders' });
  const write = accessLogWriter(log, 'request');
  const fields = {
    requestId: 'req_1',
    method: 'GET',
    path: '/orders/"quoted"\\\u0000\u2028é',
    operation: undefined,
    status: 200,
    consumerId: null,
    authMethod: 'api-key',
    ms: 0.4,
  };
  write(fields);
  log.info(fields, 'request');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 2);
  const [ours, pinos] = lines.map((line) => JSON.parse(line));
  assert.ok(Math.abs(ours.time - pinos.time) < 1000);
  assert.deepEqual({ ...ours, time: 0 }, { ...pinos, time: 0 });
  assert.equal(ours.service, 'portcullis');
  assert.equal(ours.api, 'orders');
  assert.ok(!('operation' in ours), 'undefined fields are left out');
  assert.deepEqual(Object.keys(ours), Object.keys(pinos));
});

test('access-log lines follow the level and never carry a non-finite number', async () => {
  const { lines, stream } = capture();
  const log = createLogger('warn', stream);
  const write = accessLogWriter(log, 'request');
  write({ status: 200 });
  log.level = 'info';
  write({ status: 200, ms: Number.NaN });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]!).ms, null);
});

test('jsonString encodes every string exactly as JSON.stringify does', () => {
  const samples = ['', 'req_0Ab3Cd4Ef5Gh6Ij7Kl8Mn9', '/orders/123?x=1', 'a"b', 'a\\b', 'tab\there', 'nl\n', '\u0000', '\u007f', 'é', '😀', '\ud800', 'x'.repeat(65), `${'y'.repeat(70)}"`];
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\u001f', '\u007f', 'é', '\u2028', '\ud83d', '\ude00', '/'];
  for (let i = 0; i < 2000; i++) {
    let text = '';
    const length = i % 80;
    for (let j = 0; j < length; j++) text += alphabet[(i * 31 + j * 7 + ((i * j) % 13)) % alphabet.length];
    samples.push(text);
  }
  for (const sample of samples) assert.equal(jsonString(sample), JSON.stringify(sample), JSON.stringify(sample));
});
