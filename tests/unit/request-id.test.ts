// Request ids: the `req_` form, the counter in its last eight base62 characters (no repeat across the
// table's wrap every 3,844 ids), time order by second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE62_ALPHABET } from '../../src/lib/base62.js';
import { nextRequestId } from '../../src/lib/request-id.js';

const decodeBase62 = (text: string) => [...text].reduce((value, c) => value * 62 + BASE62_ALPHABET.indexOf(c), 0);

test('request ids count up by one in their last eight characters, across the pair table’s wrap', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  const ids = Array.from({ length: 10_000 }, () => nextRequestId(now));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^req_[0-9A-Za-z]{22}$/);
  const counters = ids.map((id) => decodeBase62(id.slice(-8)));
  for (let i = 1; i < counters.length; i++) assert.equal(counters[i], counters[i - 1]! + 1, ids[i]);
  assert.equal(new Set(ids.map((id) => id.slice(0, 18))).size, 1, 'one time and process part within a second');
});

test('a later second sorts after an earlier one', () => {
  const earlier = nextRequestId(Date.UTC(2026, 11, 2, 12, 0, 0));
  const later = nextRequestId(Date.UTC(2026, 11, 2, 12, 0, 1));
  assert.ok(earlier.slice(4, 12) < later.slice(4, 12));
});
