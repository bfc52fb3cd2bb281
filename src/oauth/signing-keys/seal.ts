// Private signing keys at rest: sealed under the master key (src/lib/seal.ts), the kid bound in as
// additional data so a sealed key cannot be swapped onto another key's row.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { openBytes, sealBytes } from '../../lib/seal.js';

export function sealPrivateKey(masterKey: Buffer, kid: string, privateKey: KeyObject): string {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed = sealBytes(masterKey, kid, der);
  der.fill(0);
  return sealed;
}

/** Throws when the master key is wrong or the sealed text was altered. */
export function openPrivateKey(masterKey: Buffer, kid: string, sealed: string): KeyObject {
  const der = openBytes(masterKey, kid, sealed, `signing key ${kid}`);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  return key;
}
