// The messages between the supervisor and its workers (node:cluster's IPC channel, JSON). The channel is
// a pipe between the supervisor and the children it forked, so nothing else can write on it; each side
// still checks a message's shape before acting on it and ignores anything else (prom-client's own
// metrics messages travel on the same channel).
import type { Change } from './changes.js';
import { parseChangeObject } from './changes.js';

/** The limiters a worker asks the supervisor to check (without Redis: node-wide counters). */
export type LimiterName = 'requests' | 'bruteForce';
export type LimiterOperation = 'check' | 'peek';

/** One limiter check a worker asks the supervisor for. */
export type LimitRequest = { type: 'portcullis:limit'; id: number; limiter: LimiterName; op: LimiterOperation; input: unknown; now?: number };

/** The supervisor's answer to one request (a limit check, the node's metrics). */
export type Reply = { type: 'portcullis:reply'; id: number; ok: true; value: unknown } | { type: 'portcullis:reply'; id: number; ok: false; error: string };

/** Worker → supervisor. */
export type WorkerMessage =
  | { type: 'portcullis:listening' }
  | { type: 'portcullis:change'; change: Change }
  | LimitRequest
  /** The limit checks of one event-loop turn of the worker, in one message (answered by one `portcullis:replies`). */
  | { type: 'portcullis:limits'; checks: LimitRequest[] }
  | { type: 'portcullis:metrics'; id: number }
  | { type: 'portcullis:restart' }
  /** This worker reloaded its config (POST /admin/v1/reload, which it audited): its siblings should too. */
  | { type: 'portcullis:reloaded' };

/** Supervisor → worker. */
export type SupervisorMessage =
  | { type: 'portcullis:change'; change: Change }
  | Reply
  | { type: 'portcullis:replies'; replies: Reply[] }
  /** `replaced`: a rolling restart, another worker already serves. */
  | { type: 'portcullis:shutdown'; replaced: boolean }
  /** `audit`: this worker records the reload in the audit log (one worker of the node does). */
  | { type: 'portcullis:reload'; audit: boolean };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isRequestId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** A worker's message, or undefined for anything that is not one of ours or is malformed. */
export function parseWorkerMessage(message: unknown): WorkerMessage | undefined {
  if (!isRecord(message)) return undefined;
  switch (message.type) {
    case 'portcullis:listening':
    case 'portcullis:restart':
    case 'portcullis:reloaded':
      return { type: message.type };
    case 'portcullis:change': {
      const change = parseChangeObject(message.change);
      return change ? { type: 'portcullis:change', change } : undefined;
    }
    case 'portcullis:limit':
      return parseLimitRequest(message);
    case 'portcullis:limits': {
      if (!Array.isArray(message.checks) || message.checks.length === 0) return undefined;
      const checks = message.checks.map((check: unknown) => (isRecord(check) && check.type === 'portcullis:limit' ? parseLimitRequest(check) : undefined));
      return checks.every((check) => check !== undefined) ? { type: 'portcullis:limits', checks: checks as LimitRequest[] } : undefined;
    }
    case 'portcullis:metrics':
      return isRequestId(message.id) ? { type: 'portcullis:metrics', id: message.id } : undefined;
    default:
      return undefined;
  }
}

function parseLimitRequest(message: Record<string, unknown>): LimitRequest | undefined {
  const { id, limiter, op, input, now } = message;
  if (!isRequestId(id) || (limiter !== 'requests' && limiter !== 'bruteForce') || (op !== 'check' && op !== 'peek') || !isRecord(input)) return undefined;
  if (now !== undefined && !Number.isFinite(now)) return undefined;
  return { type: 'portcullis:limit', id, limiter, op, input, ...(now === undefined ? {} : { now: now as number }) };
}

function parseReply(message: Record<string, unknown>): Reply | undefined {
  if (!isRequestId(message.id)) return undefined;
  if (message.ok === true) return { type: 'portcullis:reply', id: message.id, ok: true, value: message.value };
  return { type: 'portcullis:reply', id: message.id, ok: false, error: typeof message.error === 'string' ? message.error : 'failed' };
}

/** The supervisor's message, or undefined for anything that is not one of ours or is malformed. */
export function parseSupervisorMessage(message: unknown): SupervisorMessage | undefined {
  if (!isRecord(message)) return undefined;
  switch (message.type) {
    case 'portcullis:shutdown':
      return { type: 'portcullis:shutdown', replaced: message.replaced === true };
    case 'portcullis:reload':
      return { type: 'portcullis:reload', audit: message.audit === true };
    case 'portcullis:change': {
      const change = parseChangeObject(message.change);
      return change ? { type: 'portcullis:change', change } : undefined;
    }
    case 'portcullis:reply':
      return parseReply(message);
    case 'portcullis:replies': {
      if (!Array.isArray(message.replies)) return undefined;
      const replies = message.replies.map((reply: unknown) => (isRecord(reply) && reply.type === 'portcullis:reply' ? parseReply(reply) : undefined));
      return replies.every((reply) => reply !== undefined) ? { type: 'portcullis:replies', replies: replies as Reply[] } : undefined;
    }
    default:
      return undefined;
  }
}
