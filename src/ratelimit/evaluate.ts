// The check-all-then-commit decision over plain state, shared by the memory adapter and (as Lua) the Redis
// script. Pure: it reads stored state through a callback and returns the writes; it never stores anything.
import type { LimitCode, LimitResult, QuotaDecision, RateDecision } from './interface.js';
import type { NormalizedCheck } from './normalize.js';
import { periodEnd, periodStart } from './period.js';
import { fits, msUntilFits, remainingUnits, rollWindow, type WindowState } from './sliding-window.js';

export interface QuotaState {
  periodStart: number;
  used: number;
}

export interface StateReader {
  rate(storageKey: string): WindowState | undefined;
  quota(storageKey: string): QuotaState | undefined;
}

export interface StateWrite {
  storageKey: string;
  state: WindowState | QuotaState;
  /** When the state stops mattering (epoch ms); Infinity for `total` quotas. */
  expiresAt: number;
}

export interface Evaluation {
  result: LimitResult;
  /** Empty unless the check was committed. */
  writes: StateWrite[];
}

interface Pass {
  allowed: boolean;
  rates: RateDecision[];
  quotas: QuotaDecision[];
  writes: StateWrite[];
}

/**
 * One walk over the policies. With `consume`, each admitted policy is charged in a scratch copy, so a counter
 * named twice in one check sees both charges; without it, every policy is judged against the stored state.
 */
function walk(check: NormalizedCheck, now: number, read: StateReader, consume: boolean): Pass {
  // A check names a handful of counters, so arrays searched in order beat Maps built per call.
  const windows: Array<{ storageKey: string; state: WindowState; windowMs: number }> = [];
  const quotaStates: Array<{ storageKey: string; state: QuotaState; end: number | null }> = [];
  let allowed = true;

  const rates = check.rates.map((policy): RateDecision => {
    const { limit, windowMs, cost, storageKey } = policy;
    let entry = windows.find((candidate) => candidate.storageKey === storageKey);
    if (!entry) {
      entry = { storageKey, state: rollWindow(read.rate(storageKey), now, windowMs), windowMs };
      windows.push(entry);
    }
    const state = entry.state;
    const elapsed = Math.max(0, now - state.windowStart);
    const admitted = cost <= limit && fits(state, elapsed, windowMs, limit, cost);
    if (admitted && consume) state.current += cost;
    if (!admitted) allowed = false;
    const remaining = remainingUnits(state, elapsed, windowMs, limit);
    return {
      key: policy.key,
      limit,
      windowMs,
      cost,
      allowed: admitted,
      remaining,
      resetMs: remaining >= limit ? 0 : (msUntilFits(state, elapsed, windowMs, limit, remaining + 1) ?? 0),
      retryAfterMs: admitted ? 0 : msUntilFits(state, elapsed, windowMs, limit, cost),
    };
  });

  const quotas = check.quotas.map((policy): QuotaDecision => {
    const { limit, period, cost, storageKey } = policy;
    let entry = quotaStates.find((candidate) => candidate.storageKey === storageKey);
    if (!entry) {
      const start = periodStart(now, period);
      const stored = read.quota(storageKey);
      // A stored period ahead of ours comes from a node whose clock runs ahead; count into it.
      const state = stored && stored.periodStart >= start ? { ...stored } : { periodStart: start, used: 0 };
      entry = { storageKey, state, end: periodEnd(now, period) };
      quotaStates.push(entry);
    }
    const { state, end } = entry;
    const admitted = state.used + cost <= limit;
    if (admitted && consume) state.used += cost;
    if (!admitted) allowed = false;
    const refillMs = end === null ? null : end - now;
    return {
      key: policy.key,
      limit,
      period,
      cost,
      allowed: admitted,
      used: state.used,
      remaining: Math.max(0, limit - state.used),
      resetMs: refillMs,
      retryAfterMs: admitted ? 0 : cost > limit ? null : refillMs,
    };
  });

  const writes: StateWrite[] = [];
  for (const { storageKey, state, windowMs } of windows) {
    writes.push({ storageKey, state, expiresAt: state.windowStart + 2 * windowMs });
  }
  for (const { storageKey, state, end } of quotaStates) writes.push({ storageKey, state, expiresAt: end ?? Infinity });
  return { allowed, rates, quotas, writes };
}

/** Why a check was refused and how long to wait, judged on the pass that charged policies in turn. */
export function summarize(verdict: { rates: RateDecision[]; quotas: QuotaDecision[] }): { code: LimitCode; retryAfterMs: number | null } {
  let code: LimitCode = 'ALLOWED';
  let retryAfterMs: number | null = 0;
  for (const decision of verdict.rates) {
    if (decision.allowed) continue;
    code = 'RATE_LIMITED';
    retryAfterMs = decision.retryAfterMs === null || retryAfterMs === null ? null : Math.max(retryAfterMs, decision.retryAfterMs);
  }
  for (const decision of verdict.quotas) {
    if (decision.allowed) continue;
    code = 'QUOTA_EXCEEDED';
    retryAfterMs = decision.retryAfterMs === null || retryAfterMs === null ? null : Math.max(retryAfterMs, decision.retryAfterMs);
  }
  return { code, retryAfterMs };
}

/**
 * Checks all policies, then commits all or none. A refused check (and every peek) reports each policy
 * against the unconsumed state, so "remaining" is what is really left.
 */
export function evaluateCheck(check: NormalizedCheck, now: number, read: StateReader, commit: boolean): Evaluation {
  if (!commit) {
    const report = walk(check, now, read, false);
    // No counter named twice (one write per policy): charging one policy cannot change another's
    // verdict, so the unconsumed pass alone decides a peek — half the work of the failed-auth
    // throttle every token request passes through.
    if (report.writes.length === check.rates.length + check.quotas.length) {
      const { code, retryAfterMs } = summarize(report);
      return { result: { allowed: report.allowed, code, rates: report.rates, quotas: report.quotas, retryAfterMs }, writes: [] };
    }
  }
  const charged = walk(check, now, read, true);
  const { code, retryAfterMs } = summarize(charged);
  if (charged.allowed && commit) {
    return { result: { allowed: true, code, rates: charged.rates, quotas: charged.quotas, retryAfterMs }, writes: charged.writes };
  }
  const report = walk(check, now, read, false);
  return { result: { allowed: charged.allowed, code, rates: report.rates, quotas: report.quotas, retryAfterMs }, writes: [] };
}
