// The pure arithmetic under every adapter: UTC periods and the sliding-window wait times, checked exhaustively.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { periodEnd, periodStart } from '../../src/ratelimit/period.js';
import { fits, floorDiv, msUntilFits, remainingUnits, type WindowState } from '../../src/ratelimit/sliding-window.js';

describe('quota periods (UTC)', () => {
  test('a month runs from 00:00 UTC on the 1st to the next 1st, across years and leap Februaries', () => {
    const now = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
    assert.equal(periodStart(now, 'month'), Date.UTC(2026, 0, 1));
    assert.equal(periodEnd(now, 'month'), Date.UTC(2026, 1, 1));
    assert.equal(periodStart(Date.UTC(2026, 1, 1), 'month'), Date.UTC(2026, 1, 1));
    assert.equal(periodEnd(Date.UTC(2026, 11, 15), 'month'), Date.UTC(2027, 0, 1));
    assert.equal(periodEnd(Date.UTC(2028, 1, 10), 'month') - Date.UTC(2028, 1, 1), 29 * 86_400_000);
  });

  test('a day runs from 00:00 UTC to the next 00:00 UTC; total starts at 0 and never ends', () => {
    const now = Date.UTC(2026, 5, 30, 23, 0);
    assert.equal(periodStart(now, 'day'), Date.UTC(2026, 5, 30));
    assert.equal(periodEnd(now, 'day'), Date.UTC(2026, 6, 1));
    assert.equal(periodStart(Date.UTC(2026, 6, 1), 'day'), Date.UTC(2026, 6, 1));
    assert.equal(periodStart(now, 'total'), 0);
    assert.equal(periodEnd(now, 'total'), null);
  });
});

describe('sliding window arithmetic', () => {
  test('floorDiv is exact where the double quotient is not', () => {
    assert.equal(floorDiv(7, 2), 3);
    assert.equal(floorDiv(6, 3), 2);
    const big = Number.MAX_SAFE_INTEGER - 1;
    assert.equal(floorDiv(big, big - 1), 1);
    assert.equal(floorDiv(big - 2, big - 1), 0);
  });

  /** The first elapsed time (from `elapsed`) at which `need` fits, found by stepping 1 ms at a time. */
  function bruteForce(state: WindowState, elapsed: number, windowMs: number, limit: number, need: number): number | null {
    for (let wait = 0; wait <= 3 * windowMs; wait += 1) {
      const at = elapsed + wait;
      const view: WindowState =
        at < windowMs
          ? state
          : at < 2 * windowMs
            ? { windowStart: windowMs, previous: state.current, current: 0 }
            : { windowStart: 2 * windowMs, previous: 0, current: 0 };
      if (fits(view, at % windowMs, windowMs, limit, need)) return wait;
    }
    return null;
  }

  test('msUntilFits equals a millisecond-by-millisecond search over every small state', () => {
    let cases = 0;
    for (const windowMs of [1, 3, 10, 17]) {
      for (let limit = 1; limit <= 5; limit += 1) {
        for (let previous = 0; previous <= 6; previous += 1) {
          for (let current = 0; current <= 6; current += 1) {
            for (let need = 0; need <= 6; need += 1) {
              for (let elapsed = 0; elapsed < windowMs; elapsed += 1) {
                const state = { windowStart: 0, previous, current };
                const expected = bruteForce(state, elapsed, windowMs, limit, need);
                assert.equal(msUntilFits(state, elapsed, windowMs, limit, need), expected, JSON.stringify({ state, elapsed, windowMs, limit, need }));
                cases += 1;
              }
            }
          }
        }
      }
    }
    assert.ok(cases > 10_000);
  });

  test('remaining is the largest number of units that fits now', () => {
    for (let limit = 1; limit <= 6; limit += 1) {
      for (let previous = 0; previous <= 7; previous += 1) {
        for (let current = 0; current <= 7; current += 1) {
          for (let elapsed = 0; elapsed < 10; elapsed += 1) {
            const state = { windowStart: 0, previous, current };
            const remaining = remainingUnits(state, elapsed, 10, limit);
            if (remaining > 0) assert.equal(fits(state, elapsed, 10, limit, remaining), true);
            assert.equal(fits(state, elapsed, 10, limit, remaining + 1), false);
          }
        }
      }
    }
  });
});
