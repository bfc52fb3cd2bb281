// The `oauth` and `trustedIssuers` sections of portcullis.yaml (composed into config/schema.ts).
import { type Static, Type } from '@sinclair/typebox';
import { PREFIX_PATTERN } from '../keys/format.js';
import { DURATION_PATTERN } from '../lib/duration.js';

const Duration = (defaultValue: string) => Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], { default: defaultValue });

/** RFC 8725 §3.4: a leeway for clock skew, never more than a minute. */
const ClockTolerance = Type.Integer({ minimum: 0, maximum: 60, default: 30, description: 'Seconds of leeway for exp, nbf and iat' });

export const SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256'] as const;
/** Asymmetric JWS algorithms only: a shared-secret algorithm can never be allowed for a JWKS issuer. */
export const VERIFY_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export const OAuthSettingsSchema = Type.Object(
  {
    /**
     * 32 random bytes, base64url (43 characters): encrypts the signing keys at rest. `portcullis init`
     * generates one; PORTCULLIS_OAUTH_MASTER_KEY overrides it.
     */
    masterKey: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' })),
    signingAlg: Type.Union(
      SIGNING_ALGS.map((a) => Type.Literal(a)),
      { default: 'ES256' },
    ),
    /** TTL of a token when the client has none of its own. */
    tokenTtl: Duration('1h'),
    /** The longest TTL a client may be given. */
    maxTokenTtl: Duration('24h'),
    clientSecretPrefix: Type.String({ pattern: PREFIX_PATTERN, default: 'pcs' }),
    /** Scheduled signing-key rotation (0 = only `portcullis signing-keys rotate`). */
    rotateSigningKeyEvery: Duration('90d'),
    /**
     * How long verifiers may cache our JWKS (its Cache-Control max-age). A new signing key is published
     * this long before it signs.
     */
    jwksCacheMaxAge: Duration('5m'),
    clockToleranceSeconds: ClockTolerance,
    /** private_key_jwt: the longest an assertion may live (exp - now). */
    assertionMaxLifetime: Duration('5m'),
    /**
     * Failed client authentications allowed per window before the OAuth endpoints answer 429: for one
     * client from one source address, for one client from all addresses (a ceiling against distributed
     * guessing, much higher so that one address cannot lock a client out), and for one address.
     */
    failedAuth: Type.Object(
      {
        perClientAndIp: Type.Integer({ minimum: 1, default: 10 }),
        perClient: Type.Integer({ minimum: 1, default: 200 }),
        perIp: Type.Integer({ minimum: 1, default: 50 }),
        window: Duration('1m'),
      },
      { default: {}, additionalProperties: false },
    ),
    /** Verified tokens kept in memory, so a reused token costs no signature check. */
    tokenCacheMaxEntries: Type.Integer({ minimum: 0, default: 100_000 }),
    /** How often a node reads revocations, client changes and signing keys written by other nodes. */
    syncInterval: Duration('1s'),
  },
  { default: {}, additionalProperties: false },
);

export const TrustedIssuerSchema = Type.Object(
  {
    /**
     * Compared exactly with the token's `iss`. No `#` (RFC 8414 issuers have no fragment): it separates
     * the issuer from the client id in the credential ids of its tokens (`<issuer>#<client id>`).
     */
    issuer: Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^#]+$' }),
    jwksUri: Type.String({ pattern: '^https?://[^\\s]+$' }),
    /** The token's `aud` must contain one of these. */
    audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
    algorithms: Type.Array(Type.Union(VERIFY_ALGS.map((a) => Type.Literal(a))), { minItems: 1, uniqueItems: true }),
    /** The claim whose value is looked up in the consumers' `externalIds`. */
    consumerClaim: Type.String({ minLength: 1, default: 'sub' }),
    /**
     * Put before the claim value when looking it up in externalIds (e.g. `auth0|`), so that with several
     * trusted IdPs one of them cannot mint a subject that maps to another IdP's consumer.
     */
    externalIdPrefix: Type.String({ maxLength: 200, default: '' }),
    /** When set, the JOSE header `typ` must equal it (e.g. `at+jwt`). */
    typ: Type.Optional(Type.String({ minLength: 1 })),
    clockToleranceSeconds: ClockTolerance,
    /** Tokens whose `iat` is older than this are refused. */
    maxTokenAge: Duration('24h'),
    jwksTimeout: Duration('5s'),
    /** How long fetched keys are used before they are fetched again. */
    jwksCacheMaxAge: Duration('10m'),
    /** The least time between two fetches caused by unknown `kid`s. */
    jwksCooldown: Duration('30s'),
  },
  { additionalProperties: false },
);

export type OAuthSettingsConfig = Static<typeof OAuthSettingsSchema>;
export type TrustedIssuerConfig = Static<typeof TrustedIssuerSchema>;
