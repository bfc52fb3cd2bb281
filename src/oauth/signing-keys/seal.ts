// Private signing keys at rest: AES-256-GCM under the master key, the kid bound in as additional
// data so a sealed key cannot be swapped onto another key's row. Format: v1.<iv>.<ciphertext>.<tag>.
import { createCipheriv, createDecipheriv, createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';

export function sealPrivateKey(masterKey: Buffer, kid: string, privateKey: KeyObject): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = Buffer.concat([cipher.update(der), cipher.final()]);
  der.fill(0);
  return ['v1', iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** Throws when the master key is wrong or the sealed text was altered. */
export function openPrivateKey(masterKey: Buffer, kid: string, sealed: string): KeyObject {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !ciphertext || !tag) throw new Error(`signing key ${kid}: unknown sealed format`);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(kid, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  let der: Buffer;
  try {
    der = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  } catch {
    throw new Error(`signing key ${kid} cannot be decrypted: is oauth.masterKey the key it was sealed with?`);
  }
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  return key;
}
