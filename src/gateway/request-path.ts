// Request-target checks: origin-form only, no dot segments and no encoded slash, backslash or NUL,
// in any encoding. The path the gateway matches an operation against is then the path the upstream
// resolves, so a scope check cannot be walked around with `/orders/../admin`.
const SUSPICIOUS = /%|\.|\\/;
const ENCODED_SEPARATOR = /%(2f|5c|00)/i;
const BAD_PERCENT = /%(?![0-9a-fA-F]{2})/;

export function isSafePath(path: string): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return false;
  if (!SUSPICIOUS.test(path)) return true;
  if (path.includes('\\') || ENCODED_SEPARATOR.test(path) || BAD_PERCENT.test(path)) return false;
  for (const segment of path.split('/')) {
    if (segment.length === 0 || segment.length > 6) continue;
    const plain = segment.replace(/%2e/gi, '.');
    if (plain === '.' || plain === '..') return false;
  }
  return true;
}

const REQUEST_ID = /^[\w.-]{1,100}$/;

/** A client-sent X-Request-Id worth propagating, or undefined. */
export function acceptableRequestId(value: string | undefined): string | undefined {
  return value !== undefined && REQUEST_ID.test(value) ? value : undefined;
}
