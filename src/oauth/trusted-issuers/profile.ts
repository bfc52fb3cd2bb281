// A trusted external issuer (Auth0, Cognito, Keycloak…) as a verification profile: its own JWKS
// source, its own algorithm allowlist, audience, typ, leeway and maximum token age.
import { parseDuration } from '../../lib/duration.js';
import type { TrustedIssuerConfig } from '../config-schema.js';
import type { IssuerProfile } from '../jwt/verify-access-token.js';
import { createJwksSource, type JwksSource } from './jwks-source.js';

export function createTrustedIssuerProfile(
  config: TrustedIssuerConfig,
  options: { now: () => number; fetch?: typeof fetch; onJwksError?: (issuer: string, reason: string) => void },
): IssuerProfile & { jwks: JwksSource } {
  const jwks = createJwksSource({
    uri: config.jwksUri,
    timeoutMs: parseDuration(config.jwksTimeout),
    cacheMaxAgeMs: parseDuration(config.jwksCacheMaxAge),
    cooldownMs: parseDuration(config.jwksCooldown),
    now: options.now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onError: (reason) => options.onJwksError?.(config.issuer, reason),
  });
  return {
    kind: 'external',
    issuer: config.issuer,
    algorithms: config.algorithms,
    audiences: typeof config.audience === 'string' ? [config.audience] : config.audience,
    typ: config.typ,
    clockToleranceSeconds: config.clockToleranceSeconds,
    maxTokenAgeSeconds: Math.floor(parseDuration(config.maxTokenAge) / 1000),
    consumerClaim: config.consumerClaim,
    externalIdPrefix: config.externalIdPrefix,
    jwks,
    resolveKey: (kid, alg) => jwks.getKey(kid, alg),
    keySet: jwks.keySet,
  };
}
