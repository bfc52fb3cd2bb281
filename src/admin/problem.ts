// RFC 9457 problem JSON for every admin error: a stable `code`, a safe `detail`, never a stack.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isPortcullisError, type ErrorCode } from '../errors/codes.js';
import { isStoreUnavailable } from '../store/open.js';

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

export function problemType(code: ErrorCode): string {
  return `urn:portcullis:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problem(code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}): ProblemBody {
  const entry = ERROR_CODES[code];
  return { type: problemType(code), title: entry.title, status: entry.status, code, ...(detail ? { detail } : {}), ...extra };
}

export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  if (body.status === 503) reply.header('retry-after', '5');
  return reply.code(body.status).type('application/problem+json').send(body);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

function fieldOf(instancePath: string, params: Record<string, unknown>, context: string | undefined): string {
  const base = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = (params.missingProperty ?? params.additionalProperty) as string | undefined;
  const path = [context, base, extra].filter(Boolean).join('.');
  return path || '(body)';
}

/** Maps any error thrown while handling a request to a problem body; logs only faults. */
export function toProblem(error: FastifyError | Error, request: FastifyRequest): ProblemBody {
  if (isPortcullisError(error)) return problem(error.code, error.detail, error.extra);
  const e = error as FastifyError & { validationContext?: string };
  if (e.validation) {
    const errors = e.validation.map((v) => ({
      field: fieldOf(v.instancePath, v.params as Record<string, unknown>, e.validationContext),
      message: v.message ?? 'is invalid',
    }));
    return problem('VALIDATION_FAILED', errors.map((x) => `${x.field}: ${x.message}`).join('; '), { errors });
  }
  if (e.code && FASTIFY_CODES[e.code]) return problem(FASTIFY_CODES[e.code]!);
  if (error instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) return problem('INVALID_JSON');
  if (isStoreUnavailable(error)) {
    request.log.error({ err: { code: e.code, message: e.message } }, 'store unavailable');
    return problem('STORE_UNAVAILABLE');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return problem('PAYLOAD_TOO_LARGE');
    if (e.statusCode === 415) return problem('UNSUPPORTED_MEDIA_TYPE');
    return { ...problem('BAD_REQUEST'), status: e.statusCode };
  }
  request.log.error({ err: error }, 'unhandled error');
  return problem('INTERNAL');
}
