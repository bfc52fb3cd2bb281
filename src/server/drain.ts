// Graceful shutdown of one listener (`shutdown.gracePeriod`): stop accepting, answer what still arrives
// on open connections with `Connection: close`, close connections as soon as they are idle, and
// force-close whatever is still open when the grace period ends. In-flight requests finish meanwhile.
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** How often a draining listener closes the connections that became idle (a response just finished). */
const IDLE_SWEEP_MS = 50;

export interface Drained {
  /** Connections still open at the deadline, closed by force. */
  forced: number;
}

/**
 * The open connections of `server`, kept from now on (one set entry per connection, nothing per
 * request), so that a drain can tell the responses in flight to close their connection.
 */
export function trackConnections(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** A response whose head is not written yet ends with `Connection: close` and closes its connection after. */
function closeAfter(res: ServerResponse | null | undefined): void {
  if (res && !res.headersSent) res.shouldKeepAlive = false;
}

export interface DrainOptions {
  /**
   * How long connections idle at the start stay open before they are closed (default 0: at once). A
   * worker replaced in a rolling restart waits: another worker serves new connections, and a keep-alive
   * client whose next request is already on its way gets an answer (with `Connection: close`) instead of
   * a reset — closing an idle connection races with such a request (RFC 9112 §9.6).
   */
  idleLingerMs?: number;
}

/** Resolves once every connection of `server` is closed; at `deadline` at the latest. */
export async function drainServer(
  server: Server,
  sockets: ReadonlySet<Socket>,
  deadline: Promise<void>,
  { idleLingerMs = 0 }: DrainOptions = {},
): Promise<Drained> {
  // Requests in flight: node:http keeps the response a connection is writing on the socket
  // (`_httpMessage`, not documented, but what Node's own closeIdleConnections() reads, on 20 to 24).
  for (const socket of sockets) closeAfter((socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage);
  // Requests still arriving: before the listener's own handler, so that a response written at once closes too.
  server.prependListener('request', (_req, res) => closeAfter(res));
  const closed = new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    // http.Server's close() also closes the idle connections at once (Node ≥ 19); net.Server's only stops accepting.
    if (idleLingerMs > 0) NetServer.prototype.close.call(server, () => resolve());
    else server.close(() => resolve());
  });
  // A response whose head went out before the signal still says keep-alive: close its connection once it ends.
  let sweep: NodeJS.Timeout | undefined;
  const startSweeping = () => {
    server.closeIdleConnections();
    sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();
  };
  const linger = idleLingerMs > 0 ? setTimeout(startSweeping, idleLingerMs) : undefined;
  if (!linger) startSweeping();
  try {
    const ended = await Promise.race([closed.then(() => true), deadline.then(() => false)]);
    if (ended) return { forced: 0 };
    const forced = sockets.size;
    server.closeAllConnections();
    await closed;
    return { forced };
  } finally {
    clearTimeout(linger);
    clearInterval(sweep);
  }
}

/** A promise that resolves after `ms`, and a way to stop its timer early. */
export function deadlineAfter(ms: number): { reached: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { reached, cancel: () => clearTimeout(timer) };
}
