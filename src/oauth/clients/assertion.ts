// private_key_jwt (RFC 7523 §3, RFC 7521): a JWT the client signs with a key it registered. iss and
// sub are the client_id, aud names us (issuer or token endpoint), exp is near, and a jti is used once.
import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JsonObject } from '../../store/types.js';
import { importJwks } from '../trusted-issuers/jwks-source.js';

export const ASSERTION_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const REFUSED_HEADERS = ['crit', 'jwk', 'jku', 'x5u', 'x5c'];
const MAX_ASSERTION_LENGTH = 8192;

export interface AssertionCheck {
  clientId: string;
  jwks: JsonObject;
  /** Accepted `aud` values: the issuer and the token endpoint URL. */
  audiences: string[];
  now: number;
  clockToleranceSeconds: number;
  maxLifetimeMs: number;
}

export type AssertionResult = { ok: true; jti: string; expiresAt: number } | { ok: false; reason: string };

/** The client an assertion claims to come from (unverified: it only selects whose keys to try). */
export function assertedClientId(assertion: string): string | undefined {
  if (assertion.length > MAX_ASSERTION_LENGTH) return undefined;
  try {
    const { iss, sub } = decodeJwt(assertion);
    return typeof iss === 'string' && iss === sub ? iss : undefined;
  } catch {
    return undefined;
  }
}

const importedKeys = new WeakMap<JsonObject, ReturnType<typeof importJwks>>();

function keyFor(jwks: JsonObject, kid: string | undefined, alg: string): KeyObject | undefined {
  let keys = importedKeys.get(jwks);
  if (!keys) {
    try {
      keys = importJwks(jwks);
    } catch {
      keys = [];
    }
    importedKeys.set(jwks, keys);
  }
  const candidates = keys.filter((k) => k.algs.has(alg) && (kid === undefined || k.kid === kid));
  return candidates.length === 1 || kid !== undefined ? candidates[0]?.key : undefined;
}

export async function verifyClientAssertion(assertion: string, check: AssertionCheck): Promise<AssertionResult> {
  if (assertion.length > MAX_ASSERTION_LENGTH) return { ok: false, reason: 'assertion too large' };
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(assertion) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'assertion is not a JWS' };
  }
  if (assertion.split('.').length !== 3) return { ok: false, reason: 'assertion is not a compact JWS' };
  if (REFUSED_HEADERS.some((name) => name in header)) return { ok: false, reason: 'refused header parameter' };
  const alg = header.alg;
  if (typeof alg !== 'string' || !ASSERTION_ALGS.includes(alg)) return { ok: false, reason: 'algorithm not allowed' };
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const key = keyFor(check.jwks, kid, alg);
  if (!key) return { ok: false, reason: 'no registered key matches' };
  try {
    const { payload } = await jwtVerify(assertion, key, {
      algorithms: [alg],
      issuer: check.clientId,
      subject: check.clientId,
      audience: check.audiences,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: check.clockToleranceSeconds,
      currentDate: new Date(check.now),
    });
    const expiresAt = payload.exp! * 1000;
    if (expiresAt - check.now > check.maxLifetimeMs + check.clockToleranceSeconds * 1000) return { ok: false, reason: 'assertion lives too long' };
    if (payload.iat !== undefined && check.now - payload.iat * 1000 > check.maxLifetimeMs + check.clockToleranceSeconds * 1000) {
      return { ok: false, reason: 'assertion is too old' };
    }
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) return { ok: false, reason: 'jti is invalid' };
    return { ok: true, jti: payload.jti, expiresAt };
  } catch (error) {
    return { ok: false, reason: (error as { code?: string }).code ?? 'assertion is invalid' };
  }
}
