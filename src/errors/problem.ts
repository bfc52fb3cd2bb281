// RFC 9457 problem JSON, the one body and writer for both listeners: a stable `code`, a safe
// `detail`, the request id, never a stack. Fastify routes answer through `sendProblem`, the public
// listener's raw node:http path through `writeProblem`; both send the same headers.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ERROR_CODES, type ErrorCode } from './codes.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: Array<{ field: string; message: string }>;
  [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Retry-After on every 503: the store or a credential check is unavailable, not the request wrong. */
export const UNAVAILABLE_RETRY_AFTER = '5';

export function problemType(code: ErrorCode): string {
  return `urn:portcullis:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problem(code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}): ProblemBody {
  const entry = ERROR_CODES[code];
  return { type: problemType(code), title: entry.title, status: entry.status, code, ...(detail ? { detail } : {}), ...extra };
}

/** Answers a Fastify request with the problem; its request id is added by the listener's hooks. */
export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  if (body.status === 503) reply.header('retry-after', UNAVAILABLE_RETRY_AFTER);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

export interface ProblemResponse {
  code: ErrorCode;
  detail?: string;
  requestId: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string> | null;
}

export function problemBody({ code, detail, requestId, extra }: ProblemResponse): ProblemBody {
  return { ...problem(code, detail, extra), requestId };
}

/** Writes the problem on a raw response and ends it; a no-op once the head is sent. Returns the status. */
export function writeProblem(res: ServerResponse, response: ProblemResponse): number {
  const body = problemBody(response);
  const status = body.status;
  if (res.headersSent || res.destroyed) return status;
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (response.headers) for (const name in response.headers) res.setHeader(name, response.headers[name]!);
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-request-id', response.requestId);
  if (status === 503) res.setHeader('retry-after', UNAVAILABLE_RETRY_AFTER);
  res.end(text);
  return status;
}
