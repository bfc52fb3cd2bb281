// Problem JSON (RFC 9457) on the raw response of the data plane, with the request id, plus the
// RFC 6750 WWW-Authenticate challenge for credential denials.
import type { ServerResponse } from 'node:http';
import { problem } from '../admin/problem.js';
import type { ErrorCode } from '../errors/codes.js';
import type { AuthDenial } from './auth/authenticate.js';

/** A quoted-string parameter value: the characters RFC 9110 allows, nothing that could break out of the quotes. */
function quoted(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

export function challenge(realm: string, denial: Pick<AuthDenial, 'error' | 'missingScopes'>): string {
  let value = `Bearer realm="${quoted(realm)}"`;
  if (denial.error) value += `, error="${denial.error}"`;
  if (denial.error === 'insufficient_scope' && denial.missingScopes && denial.missingScopes.length > 0) {
    value += `, scope="${quoted(denial.missingScopes.join(' '))}"`;
  }
  return value;
}

export interface ProblemResponse {
  code: ErrorCode;
  detail?: string;
  requestId: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string> | null;
}

export function problemBody({ code, detail, requestId, extra }: ProblemResponse): Record<string, unknown> {
  return { ...problem(code, detail, extra), requestId };
}

/** Writes the problem and ends the response; a no-op once the head is sent. Returns the status. */
export function sendProblem(res: ServerResponse, response: ProblemResponse): number {
  const body = problemBody(response);
  const status = body.status as number;
  if (res.headersSent || res.destroyed) return status;
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (response.headers) for (const name in response.headers) res.setHeader(name, response.headers[name]!);
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-request-id', response.requestId);
  if (status === 503) res.setHeader('retry-after', '5');
  res.end(text);
  return status;
}

/** The problem for an auth denial: the RFC 6750 challenge on 400/401/403, the method's reason, the missing scopes. */
export function sendDenial(res: ServerResponse, denial: AuthDenial, realm: string, requestId: string, headers: Record<string, string> | null): number {
  const extra: Record<string, unknown> = {};
  if (denial.reason) extra.reason = denial.reason;
  if (denial.missingScopes) extra.missingScopes = denial.missingScopes;
  const challengeHeaders: Record<string, string> = { ...headers };
  if (denial.status === 401 || denial.status === 403 || denial.status === 400) challengeHeaders['www-authenticate'] = challenge(realm, denial);
  if (denial.status === 429) challengeHeaders['retry-after'] = '1';
  return sendProblem(res, { code: denial.code, detail: denial.detail, requestId, extra, headers: challengeHeaders });
}
