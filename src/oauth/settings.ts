// OAuth settings resolved from config once at boot: durations in milliseconds, the issuer and its
// endpoint URLs. Everything downstream takes these plain values.
import type { Config } from '../config/schema.js';
import { parseDuration } from '../lib/duration.js';
import type { SigningAlg } from '../store/oauth-types.js';

export interface OAuthSettings {
  issuer: string;
  tokenEndpoint: string;
  signingAlg: SigningAlg;
  tokenTtlSeconds: number;
  maxTokenTtlSeconds: number;
  clientSecretPrefix: string;
  rotateSigningKeyEveryMs: number;
  jwksCacheMaxAgeMs: number;
  clockToleranceSeconds: number;
  assertionMaxLifetimeMs: number;
  failedAuth: { perClientAndIp: number; perClient: number; perIp: number; windowMs: number };
  tokenCacheMaxEntries: number;
  syncIntervalMs: number;
  /** How long a client/consumer record is trusted in memory without asking the store. */
  principalCacheTtlMs: number;
  /** gateway.trustProxy: the source address is the last X-Forwarded-For entry (src/oauth/source-address.ts). */
  trustProxy: boolean;
}

function defaultIssuer(config: Config): string {
  const host = config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.listen.port}`;
}

/** `issuer` from config (trailing slashes dropped: `iss` is compared exactly), else the public listener's URL. */
export function resolveIssuer(config: Config): string {
  return (config.issuer ?? defaultIssuer(config)).replace(/\/+$/, '');
}

export function resolveOAuthSettings(config: Config): OAuthSettings {
  const o = config.oauth;
  const issuer = resolveIssuer(config);
  const seconds = (value: string | number) => Math.floor(parseDuration(value) / 1000);
  return {
    issuer,
    tokenEndpoint: `${issuer}/oauth/token`,
    signingAlg: o.signingAlg as SigningAlg,
    tokenTtlSeconds: seconds(o.tokenTtl),
    maxTokenTtlSeconds: seconds(o.maxTokenTtl),
    clientSecretPrefix: o.clientSecretPrefix,
    rotateSigningKeyEveryMs: parseDuration(o.rotateSigningKeyEvery),
    jwksCacheMaxAgeMs: parseDuration(o.jwksCacheMaxAge),
    clockToleranceSeconds: o.clockToleranceSeconds,
    assertionMaxLifetimeMs: parseDuration(o.assertionMaxLifetime),
    failedAuth: {
      perClientAndIp: o.failedAuth.perClientAndIp,
      perClient: o.failedAuth.perClient,
      perIp: o.failedAuth.perIp,
      windowMs: parseDuration(o.failedAuth.window),
    },
    tokenCacheMaxEntries: o.tokenCacheMaxEntries,
    syncIntervalMs: parseDuration(o.syncInterval),
    principalCacheTtlMs: parseDuration(config.keys.cache.ttl),
    trustProxy: config.gateway.trustProxy,
  };
}

/** Cross-field rules the schema cannot express; each message names the field. */
export function checkOAuthSettings(settings: OAuthSettings, trustedIssuers: ReadonlyArray<{ issuer: string }>): string[] {
  const problems: string[] = [];
  if (settings.tokenTtlSeconds < 1) problems.push('oauth.tokenTtl: must be at least 1s');
  if (settings.maxTokenTtlSeconds < settings.tokenTtlSeconds) problems.push('oauth.maxTokenTtl: must not be shorter than oauth.tokenTtl');
  if (settings.syncIntervalMs < 50) problems.push('oauth.syncInterval: must be at least 50ms');
  trustedIssuers.forEach((t, i) => {
    if (t.issuer.replace(/\/+$/, '') === settings.issuer) problems.push(`trustedIssuers.${i}.issuer: is Portcullis' own issuer`);
    if (trustedIssuers.findIndex((o) => o.issuer === t.issuer) !== i) problems.push(`trustedIssuers.${i}.issuer: listed twice`);
  });
  return problems;
}
