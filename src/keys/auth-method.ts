// The API-key authentication method: key verification (src/keys/verify) turned into an AuthOutcome.
// Denials stay values; a store fault propagates so the caller can fail closed (503). Admin keys are
// refused here: they are for the admin API only (which verifies keys itself, not through this method).
import { isAdminCredential } from '../auth/admin-credential.js';
import type { AuthMethod, AuthOutcome, Identity } from '../auth/types.js';
import { type MaybePromise, whenReady } from '../lib/maybe-promise.js';
import type { VerifyOptions, VerifyResult } from './verify-result.js';

export type VerifyKeyFn = (key: string, options?: VerifyOptions) => MaybePromise<VerifyResult>;

const DESCRIPTIONS: Record<string, string> = {
  MALFORMED: 'the API key is malformed',
  NOT_FOUND: 'the API key is not known',
  EXPIRED: 'the API key has expired',
  REVOKED: 'the API key was revoked',
  DISABLED: 'the API key or its consumer is disabled',
};

// The verifier answers a cached key with the same VALID object each time (one per cache fill), so
// the identity built from it — or the refusal of an admin key — is kept with it rather than rebuilt
// per request: the admin check costs nothing on the cached path.
const identities = new WeakMap<VerifyResult, AuthOutcome>();

const ADMIN_KEY_REFUSED: AuthOutcome = Object.freeze({
  ok: false,
  status: 403,
  code: 'ADMIN_KEY_NOT_ALLOWED',
  error: 'invalid_token',
  description: 'admin keys are for the admin API only; use a consumer key',
}) as AuthOutcome;

/** A verify result → an outcome. */
export function outcomeOfVerify(result: VerifyResult): AuthOutcome {
  if (result.valid) {
    const known = identities.get(result);
    if (known) return known;
    if (isAdminCredential(result.consumer?.name, result.scopes)) {
      identities.set(result, ADMIN_KEY_REFUSED);
      return ADMIN_KEY_REFUSED;
    }
    const identity: Identity = {
      consumerId: result.consumer!.id,
      consumerName: result.consumer!.name,
      metadata: result.metadata ?? {},
      scopes: result.scopes ?? [],
      credential: { type: 'api-key', keyId: result.keyId! },
      credentialId: result.keyId!,
      ...(result.limits ? { limits: result.limits } : {}),
      ...(result.allowlist ? { allowlist: result.allowlist } : {}),
    };
    const outcome: AuthOutcome = { ok: true, identity };
    identities.set(result, outcome);
    return outcome;
  }
  // A key denied for another reason (revoked, expired) is answered for that reason; one short of
  // the API's scopes is still an admin key first.
  if (result.code === 'INSUFFICIENT_SCOPE' && isAdminCredential(result.consumer?.name, result.scopes)) return ADMIN_KEY_REFUSED;
  // A key that was found (revoked, expired, disabled, short of a scope) is counted in usage as its consumer's.
  const refused = result.keyId !== undefined && result.consumer ? { consumerId: result.consumer.id, credentialId: result.keyId } : undefined;
  const known = refused ? { refused } : {};
  if (result.code === 'INSUFFICIENT_SCOPE') {
    const missing = result.missingScopes ?? [];
    return {
      ok: false,
      status: 403,
      code: result.code,
      error: 'insufficient_scope',
      description: `the API key lacks the scope ${missing.join(' ')}`,
      missingScopes: missing,
      ...known,
    };
  }
  if (result.code === 'RATE_LIMITED' || result.code === 'QUOTA_EXCEEDED') {
    return { ok: false, status: 429, code: result.code, error: 'invalid_token', description: 'the API key is over its limit', ...known };
  }
  return { ok: false, status: 401, code: result.code, error: 'invalid_token', description: DESCRIPTIONS[result.code] ?? 'the API key is not valid', ...known };
}

export function createApiKeyAuthMethod({ verifyKey }: { verifyKey: VerifyKeyFn }): AuthMethod {
  return {
    name: 'api-key',
    authenticate(credential, requirements) {
      // The requirements carry the scopes verification checks; they are made once per policy.
      return whenReady(verifyKey(credential, requirements), outcomeOfVerify);
    },
  };
}
