// Password hashing: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane; ~25–50 ms here),
// on libuv's thread pool. A check for an unknown account still spends one hash (`spendHash`), so
// its answer takes as long as a wrong password's.
import { randomBytes } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';

const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** ASVS 2.1.1/2.1.2: at least 12 characters, at most 128; any character, no composition rules. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let checks = 0;

/** argon2id verifications run in this process (a test proves an unknown email costs one, like a wrong password). */
export function passwordChecks(): number {
  return checks;
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  checks++;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let decoy: Promise<string> | undefined;

/** Verifies against a decoy hash: the time of a real check, for an account that does not exist. Always false. */
export async function spendHash(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(32).toString('base64url'));
  await verifyPassword(await decoy, password);
  return false;
}

/** Why a new password is refused, or undefined. Length is counted in code points. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `the password needs at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `the password may have at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}
