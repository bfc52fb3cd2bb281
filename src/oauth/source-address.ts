// Where a request to the OAuth endpoints comes from, taken one way on the Fastify routes and on the
// raw node:http path: the socket's peer, or — only with gateway.trustProxy — the last X-Forwarded-For
// entry, the one our own proxy appended (earlier entries are whatever the client sent). The throttle
// counts by its block (lib/address-block.ts).
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export function sourceAddressOf(req: Pick<IncomingMessage, 'socket' | 'headers'>, trustProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!trustProxy) return peer;
  const header: string | string[] | undefined = req.headers['x-forwarded-for'];
  const line = Array.isArray(header) ? header[header.length - 1] : header;
  if (line === undefined) return peer;
  const last = line.slice(line.lastIndexOf(',') + 1).trim();
  // Anything but an address (a proxy writing `unknown`, a port) says nothing we can count by.
  return isIP(last) === 0 ? peer : last;
}
