// `listen.port: 0`: the public port is bound before the app is built, so that the issuer and the
// portal's links (computed at build) name the port the listener gets, never `:0`. The bound socket is
// then handed to the listener (Node's `listen(handle)`), so no other process can take it in between.
import { createServer, type Server } from 'node:net';

export interface ReservedPort {
  port: number;
  /** For Fastify's `listen({ …, handle })`, which passes it on to Node's `server.listen`. */
  handle: unknown;
  /** Closes the socket unless a listener took it (closing it twice is harmless). */
  release(): Promise<void>;
}

/** Binds `port` (0: one the system picks); a port in use rejects with Node's EADDRINUSE error. */
export async function reservePort(host: string, port = 0): Promise<ReservedPort> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    // The bound socket itself: Node's `listen({ handle })`, the form Fastify calls, takes the socket
    // (`server._handle`), not the server (the docs' `listen(handle)` form, which unwraps it). Pinned by
    // tests/server/first-start.test.ts (a spawned start on port 0 serves on the port its issuer names).
    handle: (server as unknown as { _handle: unknown })._handle,
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
