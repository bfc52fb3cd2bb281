// Why a bearer JWT was refused: stable codes returned as values (never thrown), each documented in
// docs/errors.md. Descriptions are safe to send: they never contain the token or a key.
export const JWT_DENIAL_CODES = {
  TOKEN_MALFORMED: 401,
  TOKEN_TOO_LARGE: 401,
  TOKEN_HEADER_REFUSED: 401,
  TOKEN_ALG_NOT_ALLOWED: 401,
  TOKEN_ISSUER_UNKNOWN: 401,
  TOKEN_KEY_UNKNOWN: 401,
  TOKEN_SIGNATURE_INVALID: 401,
  TOKEN_TYPE_INVALID: 401,
  TOKEN_CLAIM_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_NOT_YET_VALID: 401,
  TOKEN_ISSUED_IN_FUTURE: 401,
  TOKEN_TOO_OLD: 401,
  TOKEN_AUDIENCE_MISMATCH: 401,
  TOKEN_REVOKED: 401,
  CLIENT_UNKNOWN: 401,
  CLIENT_DISABLED: 401,
  CONSUMER_UNKNOWN: 401,
  CONSUMER_DISABLED: 401,
  INSUFFICIENT_SCOPE: 403,
  JWKS_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
} as const;

export type JwtDenialCode = keyof typeof JWT_DENIAL_CODES;

export interface JwtDenial {
  ok: false;
  code: JwtDenialCode;
  description: string;
}

export function deny(code: JwtDenialCode, description: string): JwtDenial {
  return { ok: false, code, description };
}
