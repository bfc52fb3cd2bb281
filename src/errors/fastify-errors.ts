// Any error thrown while Fastify handles a request (ours, a schema validation, Fastify's own, a
// fault) → the problem body both listeners answer with; logs only faults.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isStoreUnavailable } from '../store/errors.js';
import { type ErrorCode, isPortcullisError } from './codes.js';
import { type ProblemBody, problem, sendProblem } from './problem.js';

/**
 * Every error Fastify raises by itself while reading a request, by code (node_modules/fastify/lib/
 * errors.js). None of its codes or messages reaches a client: what is not listed here is a 400
 * BAD_REQUEST when its status is 4xx, or a logged 500 INTERNAL.
 */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_ROUTE_MISSING_CONTENT: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_PATH',
  FST_ERR_MAX_PARAM_LENGTH: 'BAD_PATH',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
};

const FASTIFY_DETAILS: Partial<Record<string, string>> = {
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the body length does not match Content-Length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty but Content-Type says JSON',
  FST_ERR_BAD_URL: 'the path has a malformed percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than 100 characters',
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
  if (e.code && FASTIFY_CODES[e.code]) return problem(FASTIFY_CODES[e.code]!, FASTIFY_DETAILS[e.code]);
  if (error instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) return problem('INVALID_JSON');
  if (isStoreUnavailable(error)) {
    request.log.error({ err: { code: e.code, message: e.message } }, 'store unavailable');
    return problem('STORE_UNAVAILABLE');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return problem('PAYLOAD_TOO_LARGE');
    if (e.statusCode === 415) return problem('UNSUPPORTED_MEDIA_TYPE');
    // A client fault without a code of ours (a stream error, an aborted body): its status and
    // message are the framework's, so only the registry's 400 goes out.
    return problem('BAD_REQUEST');
  }
  request.log.error({ err: error }, 'unhandled error');
  return problem('INTERNAL');
}

/**
 * Fastify's `frameworkErrors` option: errors raised before a route's hooks run (a malformed
 * percent-encoding, an over-long path parameter) are answered like every other error.
 */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, { ...toProblem(error, request), requestId: String(request.id) });
}
