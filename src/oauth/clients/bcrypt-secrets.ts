// Client secrets imported from another system as bcrypt hashes ($2a$, $2b$, $2y$): bcryptjs (pure
// JavaScript, no native build) checks them. Its cost is the hash's own (2^cost rounds, ~50–100 ms at
// cost 10 on the test machine), paid once per client: a match is replaced by the SHA-256 of the secret.
// The library is loaded on the first bcrypt secret met, so a deployment without any never loads it.

const BCRYPT_HASH = /^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(hash: string): boolean {
  return hash.startsWith('$2') && BCRYPT_HASH.test(hash);
}

/** Whether `secret` matches the bcrypt `hash` (bcryptjs compares in constant time and yields to the event loop as it works). */
export async function bcryptMatches(secret: string, hash: string): Promise<boolean> {
  const { default: bcrypt } = await import('bcryptjs');
  return bcrypt.compare(secret, hash);
}
