// Where a request to the OAuth endpoints comes from, taken one way on the Fastify routes and on the
// raw node:http path: the socket's peer, or — only with gateway.trustProxy — the last X-Forwarded-For
// entry, the one our own proxy appended (earlier entries are whatever the client sent). And the
// address the failed-authentication throttle counts by: IPv6 by /64, since one host usually holds a
// whole /64 and could otherwise pick a fresh address per guess.
import type { IncomingMessage } from 'node:http';
import { isIP, isIPv4 } from 'node:net';

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

/** The unit the throttle counts failures by: an IPv4 address, or the /64 of an IPv6 one. */
export function throttleAddressOf(address: string): string {
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  if (isIP(bare) !== 6) return address;
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
