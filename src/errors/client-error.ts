// Fastify's `clientErrorHandler` for both listeners: the HTTP parser refused the request (oversize
// head → 431, anything else → 400), answered as problem JSON on the socket, as no request object exists.
import type { Duplex } from 'node:stream';
import { nextRequestId } from '../lib/request-id.js';
import { ERROR_CODES, type ErrorCode } from './codes.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';

const REASONS: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };

export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already under way on this connection is not interleaved with another head.
  const inFlight = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const code: ErrorCode = error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  const requestId = nextRequestId();
  const body = JSON.stringify(problemBody({ code, requestId }));
  const status = ERROR_CODES[code].status;
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}
