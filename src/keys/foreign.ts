// Keys imported from another system (a Unkey or Kong key, say) keep working as they are: the store
// holds the SHA-256 of the foreign key with the `foreign` format, and verification looks a credential
// that is not of our format up by that hash. It does so only while the store holds foreign keys at
// all (`ForeignKeyPresence`): without them a credential that fails our checksum is still refused
// with no store query, exactly as before imports existed.
import type { Store } from '../store/types.js';

/** What a foreign key may look like: 16–512 visible ASCII characters (no spaces). Anything else is MALFORMED at once. */
const FOREIGN_KEY_SHAPE = /^[\x21-\x7e]{16,512}$/;

export function isForeignKeyShape(credential: string): boolean {
  return FOREIGN_KEY_SHAPE.test(credential);
}

/**
 * A foreign key shown in a listing: its first quarter (at most 8 characters) and, for a key of 32
 * characters or more, its last 4 — never enough to guess the rest.
 */
export function maskForeignKey(key: string): string {
  const head = key.slice(0, Math.min(8, Math.floor(key.length / 4)));
  return key.length >= 32 ? `${head}…${key.slice(-4)}` : `${head}…`;
}

/**
 * A foreign key imported as a hash: the start the other system kept for display (Unkey's `start`,
 * say), or else `foreign…` — never characters of the hash.
 */
export function maskForeignHash(start: string | undefined): string {
  return `${start ?? 'foreign'}…`;
}

export interface ForeignKeyPresence {
  /** Whether the store held a foreign key when last asked (or one was imported here since). */
  readonly present: boolean;
  /** Asks the store again; the store sync calls it when keys or consumers changed elsewhere. */
  refresh(): Promise<void>;
  /** An import on this node just committed foreign keys. */
  markPresent(): void;
}

export function createForeignKeyPresence(store: Pick<Store, 'hasForeignKeys'>): ForeignKeyPresence {
  let present = false;
  // A refresh that started before an import committed must not clear what markPresent set.
  let generation = 0;
  return {
    get present() {
      return present;
    },
    async refresh() {
      const asked = generation;
      const found = await store.hasForeignKeys();
      if (asked === generation) present = found;
    },
    markPresent() {
      generation++;
      present = true;
    },
  };
}
