// The pool size the `portcullis` executable runs libuv with: one thread fewer than the cores, 1 to 4,
// unless UV_THREADPOOL_SIZE is set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadPoolSize } from '../../src/cli/thread-pool.cjs';

test('the pool leaves the event loop a core: cores − 1, at least 1, at most 4', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 8, 64].map((cores) => threadPoolSize(cores, undefined)),
    ['1', '1', '2', '3', '4', '4', '4'],
  );
});

test('an explicit UV_THREADPOOL_SIZE wins; a blank one does not count', () => {
  assert.equal(threadPoolSize(2, '16'), '16');
  assert.equal(threadPoolSize(8, '1'), '1');
  assert.equal(threadPoolSize(2, ''), '1');
  assert.equal(threadPoolSize(2, '  '), '1');
});
