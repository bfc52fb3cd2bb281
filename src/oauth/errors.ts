// RFC 6749 §5.2 error responses (and RFC 8707's invalid_target, RFC 8628's slow_down) as values: the OAuth
// endpoints return these, never problem JSON and never an exception for a bad request.
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'slow_down'
  | 'server_error'
  | 'temporarily_unavailable';

export interface OAuthError {
  ok: false;
  error: OAuthErrorCode;
  description: string;
  status: 400 | 401 | 429 | 500 | 503;
  /** invalid_client after an Authorization: Basic attempt: answer with a Basic challenge (RFC 6749 §5.2). */
  basicChallenge?: boolean;
  retryAfterSeconds?: number;
}

const STATUS: Record<OAuthErrorCode, OAuthError['status']> = {
  invalid_request: 400,
  invalid_client: 401,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  slow_down: 429,
  server_error: 500,
  temporarily_unavailable: 503,
};

export function oauthError(
  error: OAuthErrorCode,
  description: string,
  extra: Partial<Pick<OAuthError, 'basicChallenge' | 'retryAfterSeconds'>> = {},
): OAuthError {
  return { ok: false, error, description, status: STATUS[error], ...extra };
}

/** The one body for every failed client authentication: an unknown client and a wrong secret look alike. */
export const CLIENT_AUTH_FAILED = 'client authentication failed';
