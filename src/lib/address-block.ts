// The unit a per-client limit counts by: an IPv4 address, or the /64 network of an IPv6 one (one host
// usually holds a whole /64, so counting single IPv6 addresses would let it pick a fresh one per try).
// Used by the public listener's per-address connection limit and the token endpoint's throttle.
import { isIP, isIPv4 } from 'node:net';

/** `192.0.2.1` for itself or `::ffff:192.0.2.1`; `2001:db8:1:2::/64` for any address of that /64; anything else as given. */
export function addressBlockOf(address: string | undefined): string {
  if (!address) return '';
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
