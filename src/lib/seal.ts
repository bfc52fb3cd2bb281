// Secrets at rest: AES-256-GCM under the master key, with a label (the owner's id) bound in as
// additional data so a sealed value cannot be swapped onto another row. Format: v1.<iv>.<ciphertext>.<tag>.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export function sealBytes(masterKey: Buffer, label: string, plain: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(label, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return ['v1', iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** Throws (with `what` in the message) when the master key is wrong or the sealed text was altered. */
export function openBytes(masterKey: Buffer, label: string, sealed: string, what: string): Buffer {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !ciphertext || !tag) throw new Error(`${what}: unknown sealed format`);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(label, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  } catch {
    throw new Error(`${what} cannot be decrypted: is oauth.masterKey the key it was sealed with?`);
  }
}
