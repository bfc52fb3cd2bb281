// The API-key authentication method: key verification (src/keys/verify) turned into an AuthOutcome.
// Denials stay values; a store fault propagates so the caller can fail closed (503).
import type { AuthMethod, AuthOutcome, Identity } from '../../auth/types.js';
import type { VerifyOptions, VerifyResult } from '../../keys/verify.js';

export type VerifyKeyFn = (key: string, options?: VerifyOptions) => Promise<VerifyResult>;

const DESCRIPTIONS: Record<string, string> = {
  MALFORMED: 'the API key is malformed',
  NOT_FOUND: 'the API key is not known',
  EXPIRED: 'the API key has expired',
  REVOKED: 'the API key was revoked',
  DISABLED: 'the API key or its consumer is disabled',
};

/** A verify result → an outcome; exported for library mode's remote verifier, which gets the same results over HTTP. */
export function outcomeOfVerify(result: VerifyResult): AuthOutcome {
  if (result.valid) {
    const identity: Identity = {
      consumerId: result.consumer!.id,
      consumerName: result.consumer!.name,
      metadata: result.metadata ?? {},
      scopes: result.scopes ?? [],
      credential: { type: 'api-key', keyId: result.keyId! },
      ...(result.limits ? { limits: result.limits } : {}),
    };
    return { ok: true, identity };
  }
  if (result.code === 'INSUFFICIENT_SCOPE') {
    const missing = result.missingScopes ?? [];
    return {
      ok: false,
      status: 403,
      code: result.code,
      error: 'insufficient_scope',
      description: `the API key lacks the scope ${missing.join(' ')}`,
      missingScopes: missing,
    };
  }
  if (result.code === 'RATE_LIMITED' || result.code === 'QUOTA_EXCEEDED') {
    return { ok: false, status: 429, code: result.code, error: 'invalid_token', description: 'the API key is over its limit' };
  }
  return { ok: false, status: 401, code: result.code, error: 'invalid_token', description: DESCRIPTIONS[result.code] ?? 'the API key is not valid' };
}

export function createApiKeyAuthMethod({ verifyKey }: { verifyKey: VerifyKeyFn }): AuthMethod {
  const noScopes: VerifyOptions = {};
  return {
    name: 'api-key',
    async authenticate(credential, requirements) {
      const options = requirements.scopes.length > 0 ? { scopes: requirements.scopes } : noScopes;
      return outcomeOfVerify(await verifyKey(credential, options));
    },
  };
}
