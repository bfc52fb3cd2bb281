// The admin listener accepts one spelling of each path: the router percent-decodes and strips an
// absolute-form origin, so any other spelling could name a route by text no check was written for.
// Refused: absolute-, authority- and asterisk-form targets, `#`, `;`, `\`, bytes outside printable
// ASCII, empty segments (`//`, a trailing `/`), dot segments, and percent-encodings of unreserved
// characters, `/`, `\`, `%`-less escapes or control bytes. Encodings of other bytes in a path
// parameter (an id, a jti) stay allowed.

/** RFC 3986 pchar without `%` (checked apart) and `;` (matrix parameters are not a thing here). */
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,=:@/%]*$/;
const ESCAPE = /%(.?.?)/g;
const HEX2 = /^[0-9A-Fa-f]{2}$/;

/** Whether the byte a `%XX` escape names may appear encoded: not unreserved, not a separator, not a control byte. */
function encodable(hex: string): boolean {
  const byte = parseInt(hex, 16);
  if (byte < 0x20 || byte === 0x7f) return false;
  const char = String.fromCharCode(byte);
  return !/[A-Za-z0-9\-._~/\\]/.test(char);
}

/** Why `target` is not a canonical origin-form request target, or undefined when it is. */
export function nonCanonicalTarget(target: string): string | undefined {
  if (target.charCodeAt(0) !== 47 /* / */) return 'only origin-form request targets (starting with /) are accepted';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (target.includes('#')) return 'a request target has no fragment';
  if (!PATH_CHAR.test(path)) return 'the path has a character that must not appear in it';
  if (path.includes('%')) {
    for (const [, hex] of path.matchAll(ESCAPE)) {
      if (!HEX2.test(hex!)) return 'the path has a malformed percent-encoding';
      if (!encodable(hex!)) return 'the path percent-encodes a character that must appear as itself (or a separator)';
    }
  }
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'the path has an empty segment (// or a trailing /)';
    if (segment === '.' || segment === '..') return 'the path has a dot segment';
  }
  return undefined;
}
