// POST /oauth/token on bare node:http, for the public listener's raw path (src/gateway/server.ts): the
// same answers as the Fastify route in routes.ts (tests/oauth/token-raw.test.ts compares the two), at
// a lower per-request cost. Measured 2026-12-07 (callgrind, a POST /oauth/token issuing an ES256
// token): 358k instructions on the event loop here, 423k through the Fastify route (+18 %); 1,077k
// against 1,178k counting every thread (+9 %). Under 5 %, this module and the raw-route path in
// server.ts would go.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessLogLines, jsonMs, jsonString, type Logger } from '../logger.js';
import { type OAuthError, oauthError } from './errors.js';
import { parseForm } from './form.js';
import { sourceAddressOf } from './source-address.js';
import type { TokenEndpoint } from './token-endpoint.js';
import { unavailableOf } from './token-endpoint.js';

export type RawTokenHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => void;

const FORM = 'application/x-www-form-urlencoded';
const NOT_A_FORM = `send the parameters as ${FORM}`;

export function createRawTokenHandler({
  token,
  bodyLimit,
  log,
  accessLog,
  trustProxy,
}: {
  token: TokenEndpoint;
  bodyLimit: number;
  log: Pick<Logger, 'info' | 'error'>;
  accessLog: boolean;
  /** gateway.trustProxy: as the Fastify route takes the source address (src/oauth/source-address.ts). */
  trustProxy: boolean;
}): RawTokenHandler {
  // The same fields as the Fastify route's line; the request id is ours or passed acceptableRequestId.
  const writeAccessLog = accessLog ? accessLogLines(log, 'oauth request') : null;
  function answer(
    res: ServerResponse,
    requestId: string,
    startedAt: bigint,
    status: number,
    headers: Record<string, string>,
    body: unknown,
    clientId: string | null,
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'x-request-id': requestId,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
    if (writeAccessLog) {
      const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
      writeAccessLog(
        `,"requestId":"${requestId}","method":"POST","path":"/oauth/token","status":${status},"clientId":${clientId === null ? 'null' : jsonString(clientId)},"ms":${jsonMs(ms)}`,
      );
    }
  }

  function fail(res: ServerResponse, requestId: string, startedAt: bigint, e: OAuthError, closeConnection = false): void {
    const headers: Record<string, string> = {};
    if (e.basicChallenge) headers['www-authenticate'] = 'Basic realm="portcullis", charset="UTF-8"';
    if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
    // An oversized body is not read to its end: the connection cannot carry another request.
    if (closeConnection) headers.connection = 'close';
    answer(res, requestId, startedAt, e.status, headers, { error: e.error, error_description: e.description }, null);
  }

  async function respond(req: IncomingMessage, res: ServerResponse, requestId: string, startedAt: bigint, body: string): Promise<void> {
    const form = parseForm(body);
    if (!form.ok) return fail(res, requestId, startedAt, form);
    const outcome = await token({ authorization: req.headers.authorization, params: form.params, ip: sourceAddressOf(req, trustProxy) });
    if (!outcome.ok) return fail(res, requestId, startedAt, outcome);
    answer(res, requestId, startedAt, 200, {}, outcome.response, outcome.clientId);
  }

  function onFault(res: ServerResponse, requestId: string, startedAt: bigint, error: unknown): void {
    const unavailable = unavailableOf(error);
    if (!unavailable) log.error({ err: error, requestId }, 'oauth endpoint failed');
    if (res.headersSent) return void res.destroy();
    fail(res, requestId, startedAt, unavailable ?? oauthError('server_error', 'internal error'));
  }

  return function rawToken(req, res, requestId) {
    const startedAt = process.hrtime.bigint();
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== FORM) return fail(res, requestId, startedAt, oauthError('invalid_request', NOT_A_FORM));
    const tooLarge = () => fail(res, requestId, startedAt, oauthError('invalid_request', 'the request body is too large'), true);
    const declared = Number(req.headers['content-length']);
    if (declared > bodyLimit) return tooLarge();

    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > bodyLimit) {
        refused = true;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      respond(req, res, requestId, startedAt, body).catch((error: unknown) => onFault(res, requestId, startedAt, error));
    });
  };
}
