// The connection pool of one upstream (undici keep-alive Pool) and what a failed upstream call means
// for the client: 504 for timeouts, 502 for everything else it did or did not say.
import { type Readable, Transform } from 'node:stream';
import { Pool } from 'undici';
import type { CompiledApi } from './compile-apis.js';

export function createUpstreamPool(api: CompiledApi): Pool {
  return new Pool(api.upstreamOrigin, {
    connect: { timeout: api.timeouts.connectMs },
    headersTimeout: api.timeouts.headersMs,
    bodyTimeout: api.timeouts.bodyMs,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    pipelining: 1,
  });
}

/** Thrown into the upstream request when a chunked body passes the size limit. */
export class BodyTooLargeError extends Error {
  readonly code = 'PORTCULLIS_BODY_TOO_LARGE';
  constructor() {
    super('request body too large');
  }
}

export type UpstreamFailure = 'timeout' | 'unavailable' | 'body-too-large';

export function classifyUpstreamError(error: unknown): UpstreamFailure {
  if (error instanceof BodyTooLargeError || (error as { cause?: unknown })?.cause instanceof BodyTooLargeError) return 'body-too-large';
  const code = (error as { code?: string })?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return 'timeout';
  }
  return 'unavailable';
}

/**
 * A chunked request body, failing with BodyTooLargeError past `limit` bytes. Piped, not iterated:
 * the client's request must survive the failure so the gateway can still answer it with 413.
 */
export function limitedBody(body: Readable, limit: number): Readable {
  let seen = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) return done(new BodyTooLargeError());
      done(null, chunk);
    },
  });
  body.pipe(limiter);
  return limiter;
}
