// The shape of portcullis.yaml, with defaults. Validated at boot; errors name the field path.
import { type Static, Type } from '@sinclair/typebox';
import { PREFIX_PATTERN } from '../keys/format.js';
import { DURATION_PATTERN } from '../lib/duration.js';
import { OAuthSettingsSchema, TrustedIssuerSchema } from '../oauth/config-schema.js';
import { DEFAULT_STORE } from '../store/types.js';

const Duration = (defaultValue: string) => Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], { default: defaultValue });

const Port = (defaultValue: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultValue });

// Gateway: one entry of `apis`, and the listener-wide settings of the public data plane.
const OptionalDuration = Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })]);
const HeaderName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", maxLength: 100 });
const Scope = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' });

/** The header an API key is read from when an API names none (`apiKeyHeader`). */
export const DEFAULT_API_KEY_HEADER = 'x-api-key';

const Api = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    basePath: Type.String({ pattern: "^/([A-Za-z0-9._~!$&'()*+,;=:@-]+(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*/?)?$" }),
    upstream: Type.String({ pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$' }),
    /** OpenAPI 3.0/3.1 document (YAML or JSON), relative to the config file. */
    openapi: Type.Optional(Type.String({ minLength: 1 })),
    auth: Type.Array(Type.Union([Type.Literal('api-key'), Type.Literal('jwt')]), { minItems: 1, uniqueItems: true, default: ['api-key'] }),
    scopes: Type.Array(Scope, { uniqueItems: true, default: [] }),
    audience: Type.Optional(Type.String({ minLength: 1 })),
    /** One duration for every phase, or each of them: connect, headers (first byte), body (idle between chunks). */
    timeout: Type.Optional(
      Type.Union([
        OptionalDuration,
        Type.Object(
          { connect: Type.Optional(OptionalDuration), headers: Type.Optional(OptionalDuration), body: Type.Optional(OptionalDuration) },
          { additionalProperties: false },
        ),
      ]),
    ),
    stripBasePath: Type.Boolean({ default: false }),
    cors: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object(
          {
            origins: Type.Array(Type.String({ pattern: '^(\\*|https?://[^\\s/]+)$' }), { minItems: 1 }),
            methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { minItems: 1 })),
            headers: Type.Optional(Type.Array(HeaderName)),
            exposeHeaders: Type.Optional(Type.Array(HeaderName)),
            credentials: Type.Optional(Type.Boolean()),
            maxAge: Type.Optional(OptionalDuration),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    apiKeyHeader: Type.Optional(HeaderName),
    /** Proxy requests that match no operation of the OpenAPI document (with the API's auth and scopes). */
    passThrough: Type.Boolean({ default: false }),
    /** Allow `;name=value` matrix parameters in path segments (default false); operations are matched without them. */
    allowMatrixParams: Type.Optional(Type.Boolean()),
    /**
     * At most `limit` requests per sliding `window` on this API, counted by consumer (default), credential, ip or route.
     * The window is 1s to 365d and limit × window (ms) stays under 2^53: checked after the schema (src/limits/settings.ts).
     */
    rateLimit: Type.Optional(
      Type.Object(
        {
          limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
          window: Type.String({ pattern: DURATION_PATTERN }),
          by: Type.Optional(Type.Union([Type.Literal('consumer'), Type.Literal('credential'), Type.Literal('ip'), Type.Literal('route')])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const GatewaySettings = Type.Object(
  {
    /** The realm in `WWW-Authenticate`. */
    realm: Type.String({ pattern: '^[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]{1,100}$', default: 'portcullis' }),
    /** Request bodies above this many bytes get 413. */
    maxBodySize: Type.Integer({ minimum: 0, default: 16 * 1024 * 1024 }),
    /** Request head (line + headers) above this many bytes gets 431. */
    maxHeaderSize: Type.Integer({ minimum: 1024, maximum: 1024 * 1024, default: 16 * 1024 }),
    /** Requests with more header lines than this get 431 (node would otherwise drop the rest unseen). */
    maxHeaderCount: Type.Integer({ minimum: 16, maximum: 10_000, default: 100 }),
    /**
     * Client headers with `_` (or another character than a letter, digit or `-`) in their name: `drop`
     * them all (as nginx does), or `keep` those that are not a reserved header once such characters
     * are read as `-` (CGI, WSGI, Rack and PHP read them the same).
     */
    underscoreHeaders: Type.Union([Type.Literal('drop'), Type.Literal('keep')], { default: 'drop' }),
    /** Keep the client's X-Forwarded-* and append to them (behind a trusted load balancer). */
    trustProxy: Type.Boolean({ default: false }),
    /** One log line per proxied request. */
    accessLog: Type.Boolean({ default: true }),
  },
  { default: {}, additionalProperties: false },
);

// The developer portal (docs/portal.md): pages and a JSON API on the public listener under `path`.
const PortalSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Where the portal lives on the public listener; may not overlap an API's basePath (checked in load.ts). */
    path: Type.String({ pattern: '^(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$', maxLength: 200, default: '/portal' }),
    /** Who may join: by invitation only, anyone (`open`), or addresses of `allowedDomains`. */
    signup: Type.Union([Type.Literal('invite'), Type.Literal('open'), Type.Literal('domains')], { default: 'invite' }),
    allowedDomains: Type.Array(Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$' }), {
      uniqueItems: true,
      default: [],
    }),
    /** The origin links in emails point at; the issuer (or the public listener's URL) by default. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/?#@]+/?$' })),
    /** `smtp://` or `smtps://` URL; without it, emails go to the outbox in the store (GET /admin/v1/outbox). */
    smtp: Type.Optional(Type.String({ pattern: '^smtps?://.+' })),
    /** The sender of the portal's emails. */
    mailFrom: Type.String({ minLength: 3, maxLength: 200, default: 'Portcullis <portal@localhost>' }),
    sessionIdleTimeout: Duration('30m'),
    sessionMaxAge: Duration('12h'),
    /** Failed sign-ins allowed per 15 minutes, per account (email) and per client address, before 429. */
    signInAttempts: Type.Object(
      {
        perAccount: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10 }),
        perAddress: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 }),
      },
      { default: {}, additionalProperties: false },
    ),
    branding: Type.Object(
      {
        title: Type.String({ minLength: 1, maxLength: 100, default: 'Developer portal' }),
        logoUrl: Type.Optional(Type.String({ pattern: '^(https://|/)[^\\s]*$', maxLength: 2000 })),
        primaryColor: Type.String({ pattern: '^#[0-9A-Fa-f]{6}$', default: '#4f46e5' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

// Leaked keys (docs/lifecycle.md#leaked-keys): what a reported leak does to a key, and GitHub's
// secret-scanning partner endpoint on the public listener.
const LeakSettings = Type.Object(
  {
    /** What happens to a live key reported as leaked: revoke it, disable it, or only record the report (notify). */
    policy: Type.Union([Type.Literal('revoke'), Type.Literal('disable'), Type.Literal('notify')], { default: 'revoke' }),
    github: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        /** Where GitHub posts its reports on the public listener; may not overlap an API, the portal or /oauth (checked in load.ts). */
        path: Type.String({ pattern: '^(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$', maxLength: 200, default: '/leaks/github' }),
        /** GitHub's signing keys for secret-scanning reports. */
        keysUrl: Type.String({ pattern: '^https?://[^\\s]+$', default: 'https://api.github.com/meta/public_keys/secret_scanning' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

// Webhooks (docs/lifecycle.md#webhooks): delivery of change events to registered endpoints.
const WebhookSettings = Type.Object(
  {
    /** Let every endpoint reach loopback, link-local and private addresses (SSRF guard off); per endpoint otherwise. */
    allowPrivateNetworks: Type.Boolean({ default: false }),
    /** One delivery attempt (connect, answer and body) must end within this. */
    timeout: Duration('10s'),
    /** Failed deliveries are retried with exponential backoff and jitter for this long after the event. */
    retryWindow: Duration('24h'),
    /** At most this many attempts per message. */
    maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 15 }),
    /** An endpoint whose attempts failed this many times in a row is disabled (audit event webhook.disabled). */
    disableAfterFailures: Type.Integer({ minimum: 1, maximum: 100_000, default: 50 }),
    /** How often each node looks for due messages. */
    pollInterval: Duration('1s'),
  },
  { default: {}, additionalProperties: false },
);

export type ApiConfig = Static<typeof Api>;
export type LeakConfig = Static<typeof LeakSettings>;
export type PortalConfig = Static<typeof PortalSettings>;
export type GatewayConfig = Static<typeof GatewaySettings>;

export const ConfigSchema = Type.Object(
  {
    listen: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Port(8080),
        /** Open connections at most; more are closed as soon as they are accepted. */
        maxConnections: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 4096 }),
        /** Open connections per client address (IPv6: per /64); 0 turns it off. Default 256, or off with gateway.trustProxy. */
        maxConnectionsPerIp: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
        /** The whole request head must arrive within this (408 and close otherwise). */
        headersTimeout: Duration('10s'),
        /** The whole request, body included, must arrive within this; 0 turns it off. */
        requestTimeout: Duration('5m'),
        /** Idle keep-alive connections are closed after this. */
        keepAliveTimeout: Duration('72s'),
      },
      { default: {}, additionalProperties: false },
    ),
    admin: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Port(8081),
        bodyLimit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
        /** Serve /metrics without an admin key (for a Prometheus scraper that cannot send one). */
        publicMetrics: Type.Boolean({ default: false }),
      },
      { default: {}, additionalProperties: false },
    ),
    store: Type.String({ default: DEFAULT_STORE, pattern: '^(sqlite:.+|postgres(ql)?://.+)$' }),
    /**
     * The longest any store call may take — a query, a transaction, a connection, a wait for
     * SQLite's write lock — before it fails with 503 and Retry-After.
     */
    storeTimeout: Type.Union([Type.String({ pattern: '^[0-9]*[1-9][0-9]*(ms|s|m)$' }), Type.Number({ exclusiveMinimum: 0, maximum: 3600 })], { default: '2s' }),
    redis: Type.Optional(Type.String({ pattern: '^rediss?://.+' })),
    /** Every Redis key Portcullis writes starts with this; several deployments can share one Redis. */
    redisKeyPrefix: Type.String({ default: 'portcullis:', pattern: '^[A-Za-z0-9:_.-]{1,64}$' }),
    /** Nodes sharing Redis announce themselves this often; the live-node count divides per-node limits in a Redis outage. */
    cluster: Type.Object({ heartbeatInterval: Duration('5s') }, { default: {}, additionalProperties: false }),
    /**
     * Worker processes of `portcullis start` (docs/deployment.md "Workers"): a supervisor and N workers sharing
     * the listeners. 'auto' (the default with a config file) = the cores this process may use (cgroup limits
     * included). The demo (no config file) is always one process.
     */
    workers: Type.Optional(Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 256 })])),
    issuer: Type.Optional(Type.String({ pattern: '^https?://.+' })),
    keys: Type.Object(
      {
        prefix: Type.String({ pattern: PREFIX_PATTERN, default: 'pcl' }),
        cache: Type.Object(
          {
            maxEntries: Type.Integer({ minimum: 0, default: 100_000 }),
            /** How long a verified key (or a client, for tokens) is trusted without asking the store; each entry up to a fifth less, at random. */
            ttl: Duration('30s'),
            negativeTtl: Duration('2s'),
            /** While the store is unreachable, how long past its TTL a cached VALID verdict still answers (0 = never). */
            staleIfError: Duration('5m'),
          },
          { default: {}, additionalProperties: false },
        ),
        lastUsedFlushInterval: Duration('10s'),
      },
      { default: {}, additionalProperties: false },
    ),
    usage: Type.Object(
      {
        flushInterval: Duration('10s'),
        retention: Duration('90d'),
      },
      { default: {}, additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    gateway: GatewaySettings,
    // APIs published through the gateway; cross-entry rules (unique names and base paths, the
    // OpenAPI documents) are checked when the gateway is built at boot. See docs/gateway.md.
    apis: Type.Array(Api, { default: [] }),
    oauth: OAuthSettingsSchema,
    trustedIssuers: Type.Array(TrustedIssuerSchema, { default: [] }),
    portal: PortalSettings,
    leaks: LeakSettings,
    /**
     * Key hygiene (docs/lifecycle.md): the longest a key may live, key.expiring this long before a key
     * expires, disabling keys unused this long; a consumer's keyPolicy overrides each. 0 = off. The
     * scheduler runs every `interval` on one node of the cluster (a lease in the store).
     */
    hygiene: Type.Object(
      {
        maxKeyLifetime: Type.Optional(OptionalDuration),
        warnBeforeExpiry: Duration('7d'),
        disableUnusedAfter: Type.Optional(OptionalDuration),
        interval: Duration('1m'),
      },
      { default: {}, additionalProperties: false },
    ),
    webhooks: WebhookSettings,
    /**
     * SIGTERM/SIGINT (README "Running in production"): stop accepting, finish in-flight requests, then
     * force-close what is still open after `gracePeriod`; keep it below the orchestrator's kill timeout.
     */
    shutdown: Type.Object({ gracePeriod: Duration('25s') }, { default: {}, additionalProperties: false }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
