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

/** Who the forwarding reports to. */
export interface ForwardSink {
  /** The head to send the client, from the upstream's response headers. */
  responseHead(upstreamHeaders: Record<string, string | string[] | undefined>): string[];
  /** Told once: the upstream's status when the response is complete, or the failure. */
  forwarded(error: Error | null, status: number): void;
}

/**
 * undici's handler for one request. A class, not closures: this runs once per proxied request, and
 * one object with shared methods costs less than a handler object and six closures.
 */
class Forwarding implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private settled = false;
  private clientGone = false;
  private readonly onClose = (): void => {
    if (this.settled) return;
    this.clientGone = true;
    this.controller?.abort(new ClientGoneError());
  };
  private onDrain: (() => void) | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly sink: ForwardSink,
  ) {
    res.on('close', this.onClose);
  }

  private settle(): void {
    this.settled = true;
    this.res.off('close', this.onClose);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientGoneError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    try {
      this.res.writeHead(statusCode, this.sink.responseHead(headers));
    } catch (error) {
      // An upstream header node refuses to send (bad characters): treat as a bad upstream.
      controller.abort(error as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.onDrain ??= () => this.controller?.resume();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    this.settle();
    this.res.end();
    this.sink.forwarded(null, this.status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle();
    this.sink.forwarded(this.clientGone ? new ClientGoneError() : error, this.status);
  }
}

/** Sends the request upstream and streams the answer to `res`; `sink.forwarded` is told how it ended. */
export function forward(dispatcher: Dispatcher, request: ForwardRequest, res: ServerResponse, sink: ForwardSink): void {
  dispatcher.dispatch(
    { path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body },
    new Forwarding(res, sink),
  );
}
