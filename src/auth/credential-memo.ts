// A connection's memo of its last credential and that credential's hash (see CredentialMemo): the
// hash is the costly part of checking a cached credential, and a keep-alive client sends the same
// credential on every request. The gateway also keeps there the last Authorization header and the
// bearer token read from it.
import type { AuthMethodName, CredentialMemo } from './types.js';

export const newCredentialMemo = (): CredentialMemo => ({ method: null, credential: '', hash: '', authorization: '', bearer: undefined });

/** True when the memo holds `credential` as `method` hashed it. */
export function recalls(memo: CredentialMemo | undefined, method: AuthMethodName, credential: string): memo is CredentialMemo {
  return memo !== undefined && memo.method === method && memo.credential === credential;
}

/** Keeps `hash` as the hash of `credential` for `method`, replacing what the memo held. */
export function remember(memo: CredentialMemo | undefined, method: AuthMethodName, credential: string, hash: string): void {
  if (memo === undefined) return;
  memo.method = method;
  memo.credential = credential;
  memo.hash = hash;
}
