// One request to the upstream through undici's dispatch API: the response head and body are written
// to the client as they arrive, with backpressure both ways, and the upstream request is aborted as
// soon as the client goes away. (Less machinery than `pool.stream()`: no AbortSignal, no Writable
// pipe — bench/gateway.ts measures the difference.)
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export class ClientGoneError extends Error {
  readonly code = 'PORTCULLIS_CLIENT_GONE';
  constructor() {
    super('the client closed the connection');
  }
}

export interface ForwardRequest {
  path: string;
  method: string;
  headers: string[];
  body: Readable | null;
}

/** Resolves with the upstream's status once the response is complete; rejects on any failure. */
export function forward(
  dispatcher: Dispatcher,
  request: ForwardRequest,
  res: ServerResponse,
  responseHead: (upstreamHeaders: Record<string, string | string[] | undefined>) => string[],
): Promise<number> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let status = 0;
    let settled = false;
    let clientGone = false;
    const onDrain = () => controller?.resume();
    const onClose = () => {
      if (settled) return;
      clientGone = true;
      controller?.abort(new ClientGoneError());
    };
    const settle = () => {
      settled = true;
      res.off('close', onClose);
    };
    res.once('close', onClose);

    dispatcher.dispatch(
      { path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body },
      {
        onRequestStart(c) {
          controller = c;
          if (clientGone) c.abort(new ClientGoneError());
        },
        onResponseStart(c, statusCode, headers) {
          if (statusCode < 200) return;
          status = statusCode;
          try {
            res.writeHead(statusCode, responseHead(headers as Record<string, string | string[] | undefined>));
          } catch (error) {
            // An upstream header node refuses to send (bad characters): treat as a bad upstream.
            c.abort(error as Error);
          }
        },
        onResponseData(c, chunk) {
          if (!res.write(chunk)) {
            c.pause();
            res.once('drain', onDrain);
          }
        },
        onResponseEnd() {
          settle();
          res.end();
          resolve(status);
        },
        onResponseError(_c, error) {
          settle();
          reject(clientGone ? new ClientGoneError() : error);
        },
      },
    );
  });
}
