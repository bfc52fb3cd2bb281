// Request and response headers across the proxy, in one pass over the client's raw headers: what the
// gateway reads (credentials, request id, forwarding info) and what it passes on. Hop-by-hop headers,
// every credential header, client-sent identity headers, headers that make an upstream run another
// method or path, and (by default) every header with `_` in its name never reach the upstream.
import type { Identity } from '../auth/types.js';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../members/session-cookie-name.js';

// biome-ignore lint/suspicious/noConstEnum: module-private and tsc (no isolatedModules) inlines it into the per-header switch of every request.
const enum Kind {
  Drop,
  Authorization,
  CredentialHeader,
  Host,
  RequestId,
  ForwardedFor,
  ForwardedProto,
  ForwardedHost,
  Connection,
  ContentLength,
  TransferEncoding,
  Origin,
  Cookie,
}

/** Hop-by-hop (RFC 9110 §7.6.1) plus the headers the gateway sets itself. */
const BASE_KINDS: ReadonlyArray<[string, Kind]> = [
  ['connection', Kind.Connection],
  ['keep-alive', Kind.Drop],
  ['proxy-authenticate', Kind.Drop],
  ['proxy-authorization', Kind.Drop],
  ['proxy-connection', Kind.Drop],
  ['te', Kind.Drop],
  ['trailer', Kind.Drop],
  ['transfer-encoding', Kind.TransferEncoding],
  ['upgrade', Kind.Drop],
  ['expect', Kind.Drop],
  ['host', Kind.Host],
  ['authorization', Kind.Authorization],
  ['x-request-id', Kind.RequestId],
  ['x-forwarded-for', Kind.ForwardedFor],
  ['x-forwarded-proto', Kind.ForwardedProto],
  ['x-forwarded-host', Kind.ForwardedHost],
  ['forwarded', Kind.Drop],
  ['x-scopes', Kind.Drop],
  ['content-length', Kind.ContentLength],
  ['origin', Kind.Origin],
  ['cookie', Kind.Cookie],
  // An upstream honouring these would run another method or path than the one authorised.
  ['x-http-method-override', Kind.Drop],
  ['x-http-method', Kind.Drop],
  ['x-method-override', Kind.Drop],
  ['x-original-url', Kind.Drop],
  ['x-rewrite-url', Kind.Drop],
];

export type HeaderKinds = ReadonlyMap<string, Kind>;

/** The header table of one API: the base table plus its credential headers. */
export function headerKinds(credentialHeaders: readonly string[]): HeaderKinds {
  const kinds = new Map<string, Kind>(BASE_KINDS);
  for (const name of credentialHeaders) kinds.set(name, Kind.CredentialHeader);
  return kinds;
}

export interface RequestHead {
  /** Name/value pairs to forward, flat. */
  forward: string[];
  authorization: string | undefined;
  /** Values of credential headers, by lower-case name. */
  credentials: Map<string, string> | undefined;
  /** Authorization or a credential header was sent more than once. */
  repeatedCredential: boolean;
  host: string | undefined;
  /** Host was sent more than once (RFC 9112 §3.2: 400). */
  repeatedHost: boolean;
  requestId: string | undefined;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  forwardedHost: string | undefined;
  contentLength: string | undefined;
  chunked: boolean;
  origin: string | undefined;
  /** Extra hop-by-hop names listed in Connection. */
  connectionTokens: string[] | undefined;
}

function isIdentityHeader(name: string): boolean {
  return name.charCodeAt(0) === 120 /* x */ && (name.startsWith('x-consumer-') || name.startsWith('x-credential-'));
}

/** A (lower-case) name with a character other than a letter, digit or `-`: `_` above all. */
const UNUSUAL_NAME = /[^a-z0-9-]/;

/**
 * A header with `_` (or another character than a letter, digit or `-`) in its name: CGI, WSGI, Rack
 * and PHP turn those characters into `_` too, so `X-Consumer_Id` is their HTTP_X_CONSUMER_ID. Kept
 * only with `underscoreHeaders: keep`, and only when, read that way, it is not a header the gateway
 * reads, sets or drops.
 */
function keepsUnusualHeader(name: string, kinds: HeaderKinds, keepUnderscores: boolean): boolean {
  if (!keepUnderscores) return false;
  const normal = name.replace(/[^a-z0-9-]/g, '-');
  return !kinds.has(normal) && !isIdentityHeader(normal);
}

export function readRequestHead(raw: readonly string[], kinds: HeaderKinds, keepUnderscores = false): RequestHead {
  const head: RequestHead = {
    forward: [],
    authorization: undefined,
    credentials: undefined,
    repeatedCredential: false,
    host: undefined,
    repeatedHost: false,
    requestId: undefined,
    forwardedFor: undefined,
    forwardedProto: undefined,
    forwardedHost: undefined,
    contentLength: undefined,
    chunked: false,
    origin: undefined,
    connectionTokens: undefined,
  };
  const forward = head.forward;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const kind = kinds.get(name);
    if (kind === undefined) {
      if (UNUSUAL_NAME.test(name) ? keepsUnusualHeader(name, kinds, keepUnderscores) : !isIdentityHeader(name)) forward.push(name, value);
      continue;
    }
    switch (kind) {
      case Kind.Authorization:
        if (head.authorization !== undefined) head.repeatedCredential = true;
        head.authorization = value;
        break;
      case Kind.CredentialHeader:
        head.credentials ??= new Map();
        if (head.credentials.has(name)) head.repeatedCredential = true;
        head.credentials.set(name, value);
        break;
      case Kind.Host:
        if (head.host === undefined) head.host = value;
        else head.repeatedHost = true;
        break;
      case Kind.RequestId:
        head.requestId ??= value;
        break;
      case Kind.ForwardedFor:
        head.forwardedFor = head.forwardedFor === undefined ? value : `${head.forwardedFor}, ${value}`;
        break;
      case Kind.ForwardedProto:
        head.forwardedProto ??= value;
        break;
      case Kind.ForwardedHost:
        head.forwardedHost ??= value;
        break;
      case Kind.Connection: {
        // Most clients send just keep-alive or close: nothing more to drop.
        const lower = value.toLowerCase();
        if (lower === 'keep-alive' || lower === 'close') break;
        const tokens = lower
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t && t !== 'close' && t !== 'keep-alive');
        if (tokens.length > 0) {
          head.connectionTokens ??= [];
          head.connectionTokens.push(...tokens);
        }
        break;
      }
      case Kind.TransferEncoding:
        head.chunked = true;
        break;
      // Read, and passed on as well.
      case Kind.ContentLength:
        head.contentLength = value;
        forward.push(name, value);
        break;
      case Kind.Origin:
        head.origin = value;
        forward.push(name, value);
        break;
      case Kind.Cookie: {
        const kept = withoutPortalSession(value);
        if (kept !== '') forward.push(name, kept);
        break;
      }
      default:
        break;
    }
  }
  if (head.connectionTokens) {
    const extra = new Set(head.connectionTokens);
    head.forward = forward.filter((_, i, all) => (i % 2 === 0 ? !extra.has(all[i]!) : !extra.has(all[i - 1]!)));
  }
  return head;
}

/**
 * A Cookie header without the developer portal's session cookie (either spelling): the portal shares
 * the public listener's origin, so a signed-in member's browser sends it to every API; no upstream
 * gets it. Other cookies pass as sent.
 */
export function withoutPortalSession(cookie: string): string {
  if (!cookie.includes(SESSION_COOKIE)) return cookie;
  return cookie
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
      return name !== SESSION_COOKIE && name !== SECURE_SESSION_COOKIE;
    })
    .map((pair) => pair.trim())
    .join('; ');
}

const base64urlCache = new WeakMap<object, string>();

/** Consumer metadata as base64url JSON; computed once per cached metadata object. */
export function metadataHeader(metadata: object): string {
  let encoded = base64urlCache.get(metadata);
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify(metadata), 'utf8').toString('base64url');
    base64urlCache.set(metadata, encoded);
  }
  return encoded;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Header values must be visible ASCII; a name with other characters is sent percent-encoded. */
export function safeHeaderValue(value: string): string {
  return PRINTABLE_ASCII.test(value) ? value.trim() : encodeURIComponent(value);
}

// The identity headers of an identity, made once: verifiers hand out the same identity object for
// every request with the same cached credential. Not frozen: V8 (Node 20) reads a frozen array's
// elements through a call per element instead of inline (~40 ns for these twelve, measured).
const identityHeaderCache = new WeakMap<Identity, readonly string[]>();

function identityHeaders(identity: Identity): readonly string[] {
  let headers = identityHeaderCache.get(identity);
  if (headers === undefined) {
    const credential = identity.credential;
    headers = [
      'x-consumer-id',
      identity.consumerId,
      'x-consumer-name',
      safeHeaderValue(identity.consumerName),
      'x-credential-type',
      credential.type,
      'x-credential-id',
      credential.type === 'api-key' ? identity.credentialId : safeHeaderValue(identity.credentialId),
      'x-scopes',
      safeHeaderValue(identity.scopes.join(' ')),
      'x-consumer-metadata',
      metadataHeader(identity.metadata),
    ];
    identityHeaderCache.set(identity, headers);
  }
  return headers;
}

/** Appends the identity headers (PRODUCT.md) to a flat header list. */
export function pushIdentityHeaders(out: string[], identity: Identity): void {
  const headers = identityHeaders(identity);
  for (let i = 0; i < headers.length; i++) out.push(headers[i]!);
}

const RESPONSE_HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-connection',
  'x-request-id',
]);

/** The header names a Connection header lists (RFC 9110 §7.6.1), lower-case; undefined for none beyond keep-alive/close. */
function connectionOptions(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  // What nearly every upstream sends: nothing to look up.
  if (typeof connection === 'string' && (connection === 'keep-alive' || connection === 'close')) return undefined;
  const names = new Set<string>();
  for (const value of typeof connection === 'string' ? [connection] : connection) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names.size > 0 ? names : undefined;
}

/** The upstream's response headers as a flat list for writeHead, hop-by-hop ones removed. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>, requestId: string): string[] {
  const out: string[] = [];
  const extra = connectionOptions(headers.connection);
  for (const name in headers) {
    if (RESPONSE_HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    const value = headers[name];
    if (typeof value === 'string') out.push(name, value);
    else if (value) for (const each of value) out.push(name, each);
  }
  out.push('x-request-id', requestId);
  return out;
}
