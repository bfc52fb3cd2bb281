// Where a webhook may be sent: http(s) only, no credentials in the URL, and (unless private networks
// are allowed) no host that is or resolves to a forbidden address (address-policy.ts) — checked when
// the endpoint is registered, and again at each delivery on the address actually connected to.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { PortcullisError } from '../errors/codes.js';
import { forbiddenAddressKind } from './address-policy.js';

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** A parsed webhook URL, or WEBHOOK_URL_NOT_ALLOWED. */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PortcullisError('WEBHOOK_URL_NOT_ALLOWED', 'the webhook URL is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PortcullisError('WEBHOOK_URL_NOT_ALLOWED', 'a webhook URL is http:// or https://');
  if (url.username || url.password) throw new PortcullisError('WEBHOOK_URL_NOT_ALLOWED', 'a webhook URL carries no user name or password');
  if (url.hash) throw new PortcullisError('WEBHOOK_URL_NOT_ALLOWED', 'a webhook URL has no #fragment');
  return url;
}

function refusal(host: string, address: string, kind: string): PortcullisError {
  const shown = host === address ? address : `${host} (${address})`;
  return new PortcullisError(
    'WEBHOOK_URL_NOT_ALLOWED',
    `${shown} is a ${kind} address; allow it with allowPrivateNetworks on the endpoint or webhooks.allowPrivateNetworks`,
  );
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

/** Registration-time check: every address the host resolves to now must be allowed. */
export async function checkWebhookUrl(text: string, allowPrivateNetworks: boolean): Promise<URL> {
  const url = parseWebhookUrl(text);
  if (allowPrivateNetworks) return url;
  const host = hostOf(url);
  if (isIP(host)) {
    const kind = forbiddenAddressKind(host);
    if (kind) throw refusal(host, host, kind);
    return url;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await resolveAll(host);
  } catch {
    throw new PortcullisError('WEBHOOK_URL_NOT_ALLOWED', `${host} does not resolve`);
  }
  for (const { address } of addresses) {
    const kind = forbiddenAddressKind(address);
    if (kind) throw refusal(host, address, kind);
  }
  return url;
}

/** Delivery-time check of an IP-literal host (a name is checked by `guardedLookup` as it is resolved). */
export function forbiddenLiteral(url: URL): string | undefined {
  const host = hostOf(url);
  if (!isIP(host)) return undefined;
  const kind = forbiddenAddressKind(host);
  return kind ? `refused: ${host} is a ${kind} address` : undefined;
}

/**
 * A `lookup` for the connection (undici passes it to net/tls.connect): resolves the name and hands
 * the socket only allowed addresses, so the address checked is the address connected to — a DNS
 * answer that changes between registration and delivery (rebinding) cannot reach a private address.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { all: true, verbatim: true, ...(options.family ? { family: options.family } : {}) }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const allowed = addresses.filter((a) => forbiddenAddressKind(a.address) === undefined);
    if (allowed.length === 0) {
      const kind = forbiddenAddressKind(addresses[0]?.address ?? '') ?? 'forbidden';
      const refused = Object.assign(new Error(`refused: ${hostname} resolves to a ${kind} address`), { code: 'WEBHOOK_ADDRESS_REFUSED' });
      return callback(refused, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
    return callback(null, allowed[0]!.address, allowed[0]!.family);
  });
};
