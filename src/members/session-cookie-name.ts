// The portal's session cookie name, for the portal that sets it and the gateway that keeps it from
// upstreams: the portal shares its origin with the APIs, so a browser sends the cookie with every
// request to an API too. `__Host-` prefixed when Secure (see src/portal/session-cookie.ts).
export const SESSION_COOKIE = 'portcullis_session';
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
