// The one registry of error codes: each has an HTTP status and a title. Every code is documented in
// docs/errors.md (a test holds the two together). Denials of credentials are values, not these errors.
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'The request does not match the schema' },
  INVALID_JSON: { status: 400, title: 'The body is not valid JSON' },
  NUL_CHARACTER: { status: 400, title: 'A string contains a NUL character' },
  INVALID_UNICODE: { status: 400, title: 'A string is not well-formed Unicode' },
  NESTING_TOO_DEEP: { status: 400, title: 'The JSON nests deeper than allowed' },
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  INVALID_CURSOR: { status: 400, title: 'The pagination cursor is not valid' },
  METADATA_TOO_LARGE: { status: 400, title: 'Metadata is larger than the allowed size' },
  SCOPES_NOT_ALLOWED: { status: 400, title: 'Scopes are not a subset of the consumer’s scopes' },
  INVALID_TIME: { status: 400, title: 'The time is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'A valid admin key is required' },
  FORBIDDEN: { status: 403, title: 'The credential lacks the required scope' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  CONSUMER_NOT_FOUND: { status: 404, title: 'No such consumer' },
  KEY_NOT_FOUND: { status: 404, title: 'No such API key' },
  API_NOT_FOUND: { status: 404, title: 'No such API, or it has no OpenAPI document' },
  CONSUMER_NAME_TAKEN: { status: 409, title: 'A consumer with this name exists' },
  EXTERNAL_ID_TAKEN: { status: 409, title: 'An external id is already mapped to a consumer' },
  KEY_REVOKED: { status: 409, title: 'The API key is revoked and cannot change' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is larger than the limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The content type is not supported' },
  STORE_UNAVAILABLE: { status: 503, title: 'The store is unreachable' },
  // Idempotency-Key on admin writes (docs/errors.md, "Retrying admin writes").
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'The Idempotency-Key header is not valid' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  IDEMPOTENCY_REPLAY_UNAVAILABLE: { status: 409, title: 'The request was already processed; its response cannot be replayed' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used for a different request' },
  INTERNAL: { status: 500, title: 'Internal error' },
  // The gateway data plane (docs/errors.md, "Gateway").
  BAD_PATH: { status: 400, title: 'The request path is not valid' },
  CREDENTIAL_AMBIGUOUS: { status: 400, title: 'More than one credential was sent' },
  CREDENTIAL_MISSING: { status: 401, title: 'A credential is required' },
  CREDENTIAL_INVALID: { status: 401, title: 'The credential is not valid' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The credential lacks a required scope' },
  ADMIN_KEY_NOT_ALLOWED: { status: 403, title: 'Admin credentials are for the admin API only' },
  OPERATION_NOT_FOUND: { status: 404, title: 'The API has no such operation' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The operation does not accept this method' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are larger than the limit' },
  RATE_LIMITED: { status: 429, title: 'A rate limit is used up' },
  QUOTA_EXCEEDED: { status: 429, title: 'The usage quota is used up' },
  CREDENTIAL_LIMITED: { status: 429, title: 'The credential has used up its rate limit or quota' },
  UPSTREAM_UNAVAILABLE: { status: 502, title: 'The upstream could not be reached' },
  AUTH_UNAVAILABLE: { status: 503, title: 'Credentials cannot be checked right now' },
  LIMIT_POLICY_INVALID: { status: 503, title: 'A stored rate-limit or quota policy is not valid' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'The upstream did not answer in time' },
  // OAuth clients and signing keys on the admin API (docs/errors.md, "OAuth").
  CLIENT_NOT_FOUND: { status: 404, title: 'No such OAuth client' },
  TOKEN_TTL_TOO_LONG: { status: 400, title: 'The token TTL is longer than oauth.maxTokenTtl' },
  AUDIENCES_NOT_ALLOWED: { status: 400, title: 'An audience is not a valid absolute URI or identifier' },
  INVALID_JWKS: { status: 400, title: 'The JWK Set is not usable for private_key_jwt' },
  CLIENT_HAS_NO_SECRET: { status: 409, title: 'The client authenticates with private_key_jwt and has no secret' },
  SIGNING_UNAVAILABLE: { status: 503, title: 'Token signing is not configured (no oauth.masterKey)' },
  // The developer portal and its accounts (docs/errors.md, "Developer portal").
  SESSION_REQUIRED: { status: 401, title: 'Sign in to the portal first' },
  SIGN_IN_FAILED: { status: 401, title: 'The email or the password is wrong' },
  CSRF_REJECTED: { status: 403, title: 'The request is not from the portal’s own page or lacks its CSRF token' },
  EMAIL_NOT_VERIFIED: { status: 403, title: 'The email address is not verified yet' },
  SIGNUP_CLOSED: { status: 403, title: 'Sign-up is not open for this address' },
  PORTAL_ROLE_REQUIRED: { status: 403, title: 'The portal user lacks the role this route needs' },
  MEMBER_NOT_FOUND: { status: 404, title: 'No such member' },
  MEMBER_EXISTS: { status: 409, title: 'This email already belongs to a member' },
  LINK_NOT_VALID: { status: 400, title: 'The link is not valid, was used already or has expired' },
  PASSWORD_NOT_ACCEPTED: { status: 400, title: 'The password does not meet the rules' },
  PASSWORD_WRONG: { status: 400, title: 'The current password is wrong' },
  SIGN_IN_THROTTLED: { status: 429, title: 'Too many attempts; try again later' },
  PORTAL_UI_NOT_BUILT: { status: 503, title: 'The portal’s pages are not built' },
  LAST_OWNER: { status: 409, title: 'A consumer with members keeps at least one owner' },
  PORTAL_USER_NOT_FOUND: { status: 404, title: 'No such portal user' },
  PORTAL_USER_SELF: { status: 409, title: 'An operator cannot disable their own account' },
  // Leaked keys: GitHub's secret-scanning reports (docs/errors.md, "Leaked keys").
  LEAK_REPORT_UNSIGNED: { status: 401, title: 'The report carries no GitHub signature headers' },
  LEAK_REPORT_KEY_UNKNOWN: { status: 401, title: 'The report is signed with a key GitHub does not publish' },
  LEAK_REPORT_SIGNATURE_INVALID: { status: 401, title: 'The report’s signature does not verify' },
  LEAK_KEYS_UNAVAILABLE: { status: 503, title: 'GitHub’s signing keys cannot be fetched right now' },
  // Imports from another system (docs/lifecycle.md, "Import").
  IMPORT_INVALID: { status: 400, title: 'The import file or document cannot be read' },
  IMPORT_TOO_LARGE: { status: 413, title: 'The import holds more records than one request may carry' },
  IMPORT_CONFLICT: { status: 409, title: 'Another import wrote the same records at the same time' },
  // IP allowlists and key hygiene (docs/lifecycle.md).
  IP_ALLOWLIST_INVALID: { status: 400, title: 'An allowedIps entry is not an IP address or CIDR block' },
  IP_NOT_ALLOWED: { status: 403, title: 'The credential may not be used from this address' },
  KEY_LIFETIME_TOO_LONG: { status: 400, title: 'The key would live longer than its maximum key lifetime' },
  // Webhooks (docs/errors.md, "Webhooks").
  WEBHOOK_URL_NOT_ALLOWED: { status: 400, title: 'The webhook URL is not allowed' },
  WEBHOOK_NOT_FOUND: { status: 404, title: 'No such webhook endpoint' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, title: 'No such webhook delivery' },
  WEBHOOKS_UNAVAILABLE: { status: 503, title: 'Webhook secrets need oauth.masterKey' },
  // Config reload (docs/errors.md, "Config reload").
  CONFIG_INVALID: { status: 422, title: 'The config file is not valid; the running config stays' },
  RELOAD_UNAVAILABLE: { status: 409, title: 'There is no config file to reload' },
  RELOAD_IN_PROGRESS: { status: 409, title: 'A reload is already running' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A fault or a refused operation with a stable code; `detail` is safe to show to the caller. */
export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail?: string, extra?: Record<string, unknown>) {
    const entry = ERROR_CODES[code];
    super(detail ?? entry.title);
    this.name = 'PortcullisError';
    this.code = code;
    this.status = entry.status;
    this.detail = detail ?? entry.title;
    this.extra = extra;
  }
}

export function isPortcullisError(error: unknown): error is PortcullisError {
  return error instanceof PortcullisError;
}
