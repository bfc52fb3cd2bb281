// The one reader of `Authorization: Bearer <token>` (RFC 6750 §2.1), for the gateway, library mode,
// the OAuth endpoints and the admin API. The scheme name is case-insensitive (RFC 9110 §11.1).

/** What a token may look like and what may surround it. */
export interface BearerSyntax {
  /** The token's characters. */
  token: RegExp;
  /** White space of any kind around the token is dropped (true), or only spaces are (false: a tab makes it not a token). */
  trimAnyWhiteSpace: boolean;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER_SCHEME = /^bearer /i;
const SPACES_AROUND = /^ +| +$/g;

/** RFC 6750's token68, white space around it dropped: the gateway and library mode. */
export const TOKEN68_BEARER: BearerSyntax = Object.freeze({ token: TOKEN68, trimAnyWhiteSpace: true });
/** token68 between spaces only: the OAuth endpoints' admin-key caller. */
export const STRICT_TOKEN68_BEARER: BearerSyntax = Object.freeze({ token: TOKEN68, trimAnyWhiteSpace: false });
/** Any run of visible characters between spaces: the admin API, whose key check then names a malformed key. */
export const VISIBLE_BEARER: BearerSyntax = Object.freeze({ token: /^\S+$/, trimAnyWhiteSpace: false });

/**
 * The token of `Authorization: Bearer <token>`; '' for a Bearer header whose token does not fit the
 * syntax (a credential, just an invalid one); undefined without the header or for another scheme
 * (not ours to judge).
 */
export function bearerOf(authorization: string | undefined, syntax: BearerSyntax = TOKEN68_BEARER): string | undefined {
  if (authorization === undefined) return undefined;
  // Nearly every client writes `Bearer `: a prefix comparison spares them the regular expression.
  if (!authorization.startsWith('Bearer ') && !BEARER_SCHEME.test(authorization)) return undefined;
  const rest = authorization.slice(7);
  const token = syntax.trimAnyWhiteSpace ? rest.trim() : rest.replace(SPACES_AROUND, '');
  return syntax.token.test(token) ? token : '';
}
