// What verifying a key answers: a code, and with VALID the key's consumer, scopes and limits. Its
// own module so that the verifier and the cache it fills can both name it.
import type { AddressAllowlist } from '../lib/ip-allowlist.js';
import type { IdentityLimits } from '../limits/policies.js';
import type { JsonObject } from '../store/types.js';

export type VerifyCode = 'VALID' | 'MALFORMED' | 'NOT_FOUND' | 'EXPIRED' | 'REVOKED' | 'DISABLED' | 'INSUFFICIENT_SCOPE' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED';

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  keyId?: string;
  consumer?: { id: string; name: string; metadata: JsonObject };
  scopes?: string[];
  metadata?: JsonObject;
  expiresAt?: number | null;
  /** With INSUFFICIENT_SCOPE: the requested scopes the key lacks. */
  missingScopes?: string[];
  /** With VALID: the rate limits and quotas of the consumer and the key (not part of the admin API answer). */
  limits?: IdentityLimits;
  /** With VALID: where the key may be used from (its and its consumer's allowedIps); undefined = anywhere. Not part of the admin API answer. */
  allowlist?: AddressAllowlist | undefined;
  /** With VALID, when the key or its consumer has an IP allowlist: both lists as stored (what `allowlist` was compiled from). */
  allowedIps?: { key: string[]; consumer: string[] };
}

export interface VerifyOptions {
  /** Scopes the caller needs; all must be granted. */
  scopes?: readonly string[];
}
