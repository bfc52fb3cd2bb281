// Request-target checks. The gateway authorises the operation it matches the path to, so the path it
// forwards must be one every upstream router reads the same way: origin-form only; no fragment; no
// dot segment, empty segment or `;` (unless the API allows matrix parameters); no encoded `/`, `\`,
// NUL or `;`; no percent-encoded unreserved character (RFC 3986 §2.3: `/x/%61dmin` is `/x/admin` to
// one router and an id to another); no double encoding; escapes that decode to UTF-8.

/** Anything that sends a path to the careful check; a plain ASCII path has none of these. */
const SUSPICIOUS = /[%.\\#;]|\/\//;
const BAD_PERCENT = /%(?![0-9a-fA-F]{2})/;
/** `/`, `\`, NUL and `;` encoded, and every unreserved character (ALPHA, DIGIT, `-`, `.`, `_`, `~`) encoded. */
const FORBIDDEN_ESCAPE = /%(?:2f|5c|00|3b|3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2d|2e|5f|7e)/i;
const ESCAPE = /%[0-9a-fA-F]{2}/;

function isDotSegment(name: string): boolean {
  return name === '.' || name === '..';
}

/**
 * True when the path is one the gateway can match and forward as it is. A single trailing slash is
 * allowed (operation matching decides what it means); any other empty segment is not.
 */
export function isSafePath(path: string, allowMatrixParams: boolean): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return false;
  if (!SUSPICIOUS.test(path)) return true;
  if (path.includes('#') || path.includes('\\')) return false;
  if (path.includes('%')) {
    if (BAD_PERCENT.test(path) || FORBIDDEN_ESCAPE.test(path)) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return false;
    }
    if (ESCAPE.test(decoded)) return false;
  }
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') {
      if (i === segments.length - 1) break;
      return false;
    }
    const semicolon = segment.indexOf(';');
    if (semicolon === -1) {
      if (isDotSegment(segment)) return false;
      continue;
    }
    if (!allowMatrixParams) return false;
    // `..;x` is `..` to a Servlet container.
    const name = segment.slice(0, semicolon);
    if (name === '' || isDotSegment(name)) return false;
  }
  return true;
}

/** The path with each segment's matrix parameters (`;name=value…`) removed: what a Servlet container routes on. */
export function withoutMatrixParams(path: string): string {
  return path.replace(/;[^/]*/g, '');
}

/**
 * One spelling for every case variant of a text, for asking "could a case-insensitive router read
 * this as that?": folded both ways, so that `ſ` meets `s` and `K` (Kelvin) meets `k` the way a
 * Unicode case-insensitive matcher folds them.
 */
export function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase();
}

/** foldCase of the percent-decoded text (a whole path or base path); null for a bad escape. */
export function foldForMatch(text: string): string | null {
  if (!text.includes('%')) return foldCase(text);
  try {
    return foldCase(decodeURIComponent(text));
  } catch {
    return null;
  }
}
