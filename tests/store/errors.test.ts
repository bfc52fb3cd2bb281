import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreUnavailable } from '../../src/store/errors.js';

describe('isStoreUnavailable', () => {
  it('knows the codes and messages of an unreachable database', () => {
    for (const code of ['ECONNREFUSED', 'STORE_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', '57014', '57P01', '08006'])
      assert.equal(isStoreUnavailable(Object.assign(new Error('x'), { code })), true, code);
    assert.equal(isStoreUnavailable(new Error('Connection terminated unexpectedly')), true);
  });

  it('answers false, and does not throw, for errors whose code is not text or that are not errors at all', () => {
    for (const error of [
      Object.assign(new Error('x'), { code: 5 }),
      { code: Symbol('x') },
      { code: {} },
      { code: '' },
      { message: 7 },
      'text',
      42,
      null,
      undefined,
    ])
      assert.equal(isStoreUnavailable(error), false);
    assert.equal(isStoreUnavailable(Object.assign(new Error('syntax'), { code: '42601' })), false);
  });
});
