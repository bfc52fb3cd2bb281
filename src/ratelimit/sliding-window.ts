// Two-bucket sliding window counter: the previous window's count, weighted by how much of it still overlaps
// the sliding window, plus the current window's count. Requests crowded before an edge still weigh fully just
// after it, so there is no 2× burst at the edge. Integer inputs, exact comparisons; redis-script.ts mirrors it.

export interface WindowState {
  /** Start of the current fixed window, aligned to multiples of the window length since the epoch. */
  windowStart: number;
  previous: number;
  current: number;
}

/** floor(a / b) for non-negative safe integers, corrected where the double quotient rounds across an integer. */
export function floorDiv(a: number, b: number): number {
  let quotient = Math.floor(a / b);
  if (quotient * b > a) quotient -= 1;
  else if ((quotient + 1) * b <= a) quotient += 1;
  return quotient;
}

/** The state as seen at `now`: a fresh window, the old current window become the previous one, or as stored. */
export function rollWindow(stored: WindowState | undefined, now: number, windowMs: number): WindowState {
  const windowStart = now - (now % windowMs);
  // A stored window ahead of ours comes from a node whose clock runs ahead; keep its counts rather than wipe them.
  if (stored && stored.windowStart >= windowStart) return { ...stored };
  if (stored && stored.windowStart === windowStart - windowMs) return { windowStart, previous: stored.current, current: 0 };
  return { windowStart, previous: 0, current: 0 };
}

/** Whether `need` more units fit `elapsed` ms into the current window: previous × (W − elapsed) / W + current + need ≤ limit. */
export function fits(state: WindowState, elapsed: number, windowMs: number, limit: number, need: number): boolean {
  return state.previous * (windowMs - elapsed) + (state.current + need) * windowMs <= limit * windowMs;
}

export function remainingUnits(state: WindowState, elapsed: number, windowMs: number, limit: number): number {
  const spare = limit * windowMs - state.current * windowMs - state.previous * (windowMs - elapsed);
  return spare <= 0 ? 0 : floorDiv(spare, windowMs);
}

/**
 * Milliseconds until `need` units fit, or null if they never can. The estimate only falls over time: first the
 * previous window's weight runs out, then the current window becomes the previous one and runs out in turn.
 */
export function msUntilFits(state: WindowState, elapsed: number, windowMs: number, limit: number, need: number): number | null {
  if (need > limit) return null;
  const { previous, current } = state;
  const spare = limit - current - need;
  if (spare >= 0) {
    if (previous === 0) return 0;
    // Smallest elapsed e with previous × (W − e) ≤ spare × W.
    const at = windowMs - floorDiv(spare * windowMs, previous);
    if (at <= elapsed) return 0;
    if (at < windowMs) return at - elapsed;
  }
  // In the next window the current count is the previous one and nothing is current yet.
  const atNext = current === 0 ? 0 : Math.max(0, windowMs - floorDiv((limit - need) * windowMs, current));
  return windowMs - elapsed + atNext;
}
