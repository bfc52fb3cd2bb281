// The access-log writer must produce what pino itself would have written for the same fields.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { accessLogLines, accessLogWriter, createLogger, jsonMs, jsonString } from '../../src/logger.js';

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
  const samples = [
    '',
    'req_0Ab3Cd4Ef5Gh6Ij7Kl8Mn9',
    '/orders/123?x=1',
    'a"b',
    'a\\b',
    'tab\there',
    'nl\n',
    '\u0000',
    '\u007f',
    'é',
    '😀',
    '\ud800',
    'x'.repeat(65),
    `${'y'.repeat(70)}"`,
  ];
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\u001f', '\u007f', 'é', '\u2028', '\ud83d', '\ude00', '/'];
  for (let i = 0; i < 2000; i++) {
    let text = '';
    const length = i % 80;
    for (let j = 0; j < length; j++) text += alphabet[(i * 31 + j * 7 + ((i * j) % 13)) % alphabet.length];
    samples.push(text);
  }
  for (const sample of samples) assert.equal(jsonString(sample), JSON.stringify(sample), JSON.stringify(sample));
});

test('jsonMs writes what JSON.stringify writes for milliseconds rounded to a tenth', () => {
  const samples = [0, 0.04, 0.05, 0.3, 0.95, 1, 1.25, 9.99, 10, 123.456, 59_999.95, 1e9, 2 ** 30 / 10, 1e12, -0.2, -5, Number.NaN, Number.POSITIVE_INFINITY];
  for (let i = 0; i < 5000; i++) samples.push(i * 0.0137, i * 7.3);
  for (const ms of samples) {
    const expected = Number.isFinite(ms) ? JSON.stringify(Math.round(ms * 10) / 10) : 'null';
    assert.equal(jsonMs(ms), expected, String(ms));
  }
});

test('lines from member text are pino lines too, with the current time; another logger gets the members as an object', async () => {
  const { lines, stream } = capture();
  const log = createLogger('info', stream).child({ api: 'orders' });
  const write = accessLogLines(log, 'request');
  for (let i = 0; i < 50; i++) write(`,"requestId":"req_${i}","path":${jsonString('/a"b')},"ms":${jsonMs(i / 7)}`);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 50);
  const parsed = lines.map((line) => JSON.parse(line));
  parsed.forEach((line, i) => {
    assert.deepEqual(Object.keys(line), ['level', 'time', 'service', 'api', 'requestId', 'path', 'ms', 'msg']);
    assert.equal(line.requestId, `req_${i}`);
    assert.equal(line.path, '/a"b');
    assert.equal(line.ms, Math.round((i / 7) * 10) / 10);
    assert.ok(Math.abs(line.time - Date.now()) < 5_000);
  });
  const logged: unknown[] = [];
  accessLogLines(
    { info: (fields: unknown, message: string) => logged.push([fields, message]) } as never,
    'request',
  )(`,"status":200,"path":${jsonString('/x')}`);
  assert.deepEqual(logged, [[{ status: 200, path: '/x' }, 'request']], 'another logger gets the members as an object');
});

test('the default destination writes each line before the call returns: nothing is lost when the process dies', () => {
  // An asynchronous destination would hold all but the first of these lines in memory while its first
  // write is in the thread pool; SIGKILL then loses them.
  const logger = new URL('../../src/logger.js', import.meta.url).href;
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { createLogger } = await import(${JSON.stringify(logger)}); const log = createLogger('info'); for (let i = 0; i < 2000; i++) log.info({ i }, 'line'); process.kill(process.pid, 'SIGKILL');`,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(child.signal, 'SIGKILL');
  const lines = child.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { i: number });
  assert.equal(lines.length, 2000);
  assert.equal(lines.at(-1)!.i, 1999);
});
