// Verifies a bearer JWT per RFC 8725 / RFC 9068, for our issuer or a trusted one. The order matters:
// shape and header rules first (no key is touched), then the issuer profile by exact `iss`, the
// algorithm allowlist, the key — looked up only in that issuer's keys and bound to one algorithm —
// then jose checks the signature before any claim, and finally the claims we add on top.

import type { KeyObject } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../lib/clock.js';
import { issuedAtOfTokenId } from '../token-id.js';
import { deny, type JwtDenial } from './denials.js';
import type { KeySet, VerifiedToken } from './verified-token.js';

/** Larger bearer tokens are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/** Header parameters that carry or point at keys, or demand extensions: never followed, always refused. */
const REFUSED_HEADERS = ['crit', 'jwk', 'jku', 'x5u', 'x5c'] as const;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** A found key carries `until`: the instant (ms) its issuer stops publishing it, Infinity when not scheduled. */
export type ProfileKey = { status: 'found'; key: KeyObject; alg?: string; until: number } | { status: 'missing' } | { status: 'unavailable' };

/** How tokens of one issuer are verified. */
export interface IssuerProfile {
  kind: 'local' | 'external';
  issuer: string;
  algorithms: readonly string[];
  /** The token's aud must contain one of these; undefined = checked per API only. */
  audiences: readonly string[] | undefined;
  typ: string | undefined;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number;
  /** External issuers: the claim that names the consumer, and the prefix put before its value. */
  consumerClaim: string;
  externalIdPrefix: string;
  resolveKey(kid: string | undefined, alg: string): Promise<ProfileKey>;
  /** The issuer's keys as cached tokens check them again after a change. */
  readonly keySet: KeySet;
}

/** Separates a trusted issuer from its client id in credential ids; refused in trusted issuers' names. */
export const CREDENTIAL_ID_SEPARATOR = '#';

export type VerifyResult = { ok: true; token: VerifiedToken } | JwtDenial;

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function fromJoseError(error: unknown): JwtDenial {
  const e = error as { code?: string; claim?: string; reason?: string };
  switch (e.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return deny('TOKEN_SIGNATURE_INVALID', 'signature verification failed');
    case 'ERR_JWT_EXPIRED':
      return e.claim === 'iat' ? deny('TOKEN_TOO_OLD', 'the token is older than allowed') : deny('TOKEN_EXPIRED', 'the token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf' && e.reason === 'check_failed') return deny('TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)');
      if (e.claim === 'iat' && e.reason === 'check_failed') return deny('TOKEN_ISSUED_IN_FUTURE', 'the token is issued in the future (iat)');
      if (e.claim === 'typ') return deny('TOKEN_TYPE_INVALID', 'unexpected typ header');
      if (e.claim === 'iss') return deny('TOKEN_ISSUER_UNKNOWN', 'unexpected iss');
      return deny('TOKEN_CLAIM_INVALID', `the ${String(e.claim ?? 'claims')} claim is missing or invalid`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return deny('TOKEN_ALG_NOT_ALLOWED', 'the algorithm is not allowed');
    default:
      return deny('TOKEN_MALFORMED', 'the token is not a valid JWT');
  }
}

function audiencesOf(aud: unknown): string[] | undefined {
  if (typeof aud === 'string' && aud.length > 0) return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string' && a.length > 0)) return aud as string[];
  return undefined;
}

function scopesOf(claims: JWTPayload): string[] | undefined {
  const scope = claims.scope ?? claims.scp;
  if (scope === undefined) return [];
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope) && scope.every((s) => typeof s === 'string')) return scope as string[];
  return undefined;
}

export function createAccessTokenVerifier({ profiles, clock }: { profiles: readonly IssuerProfile[]; clock: Clock }) {
  const byIssuer = new Map(profiles.map((p) => [p.issuer, p]));

  function claimsToToken(
    profile: IssuerProfile,
    claims: JWTPayload,
    kid: string | undefined,
    found: { key: KeyObject; until: number; epoch: number },
  ): VerifyResult {
    const audiences = audiencesOf(claims.aud);
    if (!audiences) return deny('TOKEN_CLAIM_INVALID', 'aud must be a string or an array of strings');
    if (profile.audiences && !audiences.some((a) => profile.audiences!.includes(a))) {
      return deny('TOKEN_AUDIENCE_MISMATCH', 'aud does not name an accepted audience');
    }
    const scopes = scopesOf(claims);
    if (!scopes) return deny('TOKEN_CLAIM_INVALID', 'scope must be a space-separated string');
    const expiresAt = claims.exp! * 1000;
    // The instants jose's checks (in whole seconds, with the leeway) start and stop passing, so a
    // cached verdict changes when a fresh verification would: nbf and iat (not in the future), and
    // maxTokenAge. exp is checked on its own, without leeway (expiresAt).
    const tolerance = profile.clockToleranceSeconds;
    const iat = claims.iat!;
    const validFrom = Math.ceil(Math.max(iat, typeof claims.nbf === 'number' ? claims.nbf : -Infinity) - tolerance) * 1000;
    const tooOldAt = (Math.floor(iat + tolerance + profile.maxTokenAgeSeconds) + 1) * 1000;
    const bounds = {
      validFrom,
      validUntil: Math.min(tooOldAt, found.until),
      tooOldAt,
      kid,
      key: found.key,
      keySet: profile.keySet,
      keyEpoch: found.epoch,
    };
    if (profile.kind === 'local') {
      const { sub, client_id: clientId, jti } = claims as JWTPayload & { client_id?: unknown };
      const issuedAt = typeof jti === 'string' ? issuedAtOfTokenId(jti) : undefined;
      if (typeof clientId !== 'string' || sub !== clientId) return deny('TOKEN_CLAIM_INVALID', 'sub and client_id must name the client');
      if (issuedAt === undefined) return deny('TOKEN_CLAIM_INVALID', 'jti is not one of ours');
      return {
        ok: true,
        token: {
          kind: 'local',
          issuer: profile.issuer,
          clientId,
          credentialId: clientId,
          subject: clientId,
          jti: jti!,
          audiences: new Set(audiences),
          scopes,
          expiresAt,
          issuedAt,
          ...bounds,
        },
      };
    }
    const value = claims[profile.consumerClaim];
    if ((typeof value !== 'string' || value.length === 0) && typeof value !== 'number') {
      return deny('TOKEN_CLAIM_INVALID', `the ${profile.consumerClaim} claim must be a string`);
    }
    const clientId = [claims.client_id, claims.azp, claims.sub].find((v): v is string => typeof v === 'string') ?? String(value);
    return {
      ok: true,
      token: {
        kind: 'external',
        issuer: profile.issuer,
        clientId,
        credentialId: profile.issuer + CREDENTIAL_ID_SEPARATOR + clientId,
        subject: profile.externalIdPrefix + String(value),
        jti: typeof claims.jti === 'string' ? claims.jti : '',
        audiences: new Set(audiences),
        scopes,
        expiresAt,
        issuedAt: iat * 1000,
        ...bounds,
      },
    };
  }

  return async function verifyAccessToken(token: string): Promise<VerifyResult> {
    if (token.length > MAX_TOKEN_LENGTH) return deny('TOKEN_TOO_LARGE', `tokens are limited to ${MAX_TOKEN_LENGTH} characters`);
    const parts = token.split('.');
    if (parts.length !== 3) return deny('TOKEN_MALFORMED', parts.length === 5 ? 'encrypted JWTs (JWE) are not accepted' : 'not a compact JWS');
    const [h, p, s] = parts as [string, string, string];
    if (!B64URL.test(h) || !B64URL.test(p) || (s !== '' && !B64URL.test(s))) return deny('TOKEN_MALFORMED', 'not a compact JWS');
    const header = decodeJson(h);
    const payload = decodeJson(p);
    if (!header || !payload) return deny('TOKEN_MALFORMED', 'the header and payload must be JSON objects');
    for (const name of REFUSED_HEADERS) {
      if (name in header) return deny('TOKEN_HEADER_REFUSED', `the ${name} header parameter is not accepted`);
    }
    const { alg, kid } = header;
    if (typeof alg !== 'string') return deny('TOKEN_MALFORMED', 'alg is missing');
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) return deny('TOKEN_MALFORMED', 'kid must be a string');
    const profile = typeof payload.iss === 'string' ? byIssuer.get(payload.iss) : undefined;
    if (!profile) return deny('TOKEN_ISSUER_UNKNOWN', 'the issuer is not trusted');
    if (!profile.algorithms.includes(alg)) return deny('TOKEN_ALG_NOT_ALLOWED', `alg ${alg.slice(0, 20)} is not allowed for this issuer`);
    if (s === '') return deny('TOKEN_SIGNATURE_INVALID', 'the signature is empty');

    // Read before the key: a set reloaded meanwhile makes the cached token's key be checked again, never skipped.
    const epoch = profile.keySet.epoch;
    const found = await profile.resolveKey(kid as string | undefined, alg);
    if (found.status === 'unavailable') return deny('JWKS_UNAVAILABLE', "the issuer's keys cannot be fetched");
    if (found.status === 'missing') return deny('TOKEN_KEY_UNKNOWN', 'no key of this issuer matches the kid and alg');
    if (found.alg !== undefined && found.alg !== alg) return deny('TOKEN_ALG_NOT_ALLOWED', 'the key is bound to another algorithm');

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, found.key, {
        algorithms: [alg],
        issuer: profile.issuer,
        ...(profile.typ ? { typ: profile.typ } : {}),
        requiredClaims: profile.kind === 'local' ? ['exp', 'iat', 'aud', 'sub', 'client_id', 'jti'] : ['exp', 'iat', 'aud'],
        clockTolerance: profile.clockToleranceSeconds,
        maxTokenAge: profile.maxTokenAgeSeconds,
        currentDate: new Date(clock.now()),
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError || (error as { code?: string }).code?.startsWith('ERR_')) return fromJoseError(error);
      return deny('TOKEN_MALFORMED', 'the token is not a valid JWT');
    }
    return claimsToToken(profile, claims, kid as string | undefined, { key: found.key, until: found.until, epoch });
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
