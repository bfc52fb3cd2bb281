// The import part of the Store port (src/imports): which external ids and key hashes are already
// there, whether any foreign key is stored, and the batched insert of what an import creates.
// Composed into `Store`.
import type { ClientSecretRecord, OAuthClientRecord } from './oauth-types.js';
import type { AuditEventRecord, ConsumerRecord, KeyRecord } from './records.js';

/** What an import names by external id. */
export type ImportedKind = 'consumer' | 'key' | 'client';

/** One batch of an import, written in one transaction with its audit events. */
export interface ImportBatch {
  consumers: ConsumerRecord[];
  keys: KeyRecord[];
  clients: OAuthClientRecord[];
  secrets: ClientSecretRecord[];
  events: AuditEventRecord[];
}

export interface ImportsStore {
  /** Whether any stored key has the `foreign` format: only then may a credential not of our format be looked up. */
  hasForeignKeys(): Promise<boolean>;
  /** Of these external ids, the ones already taken, with the id of the consumer, key or client holding each. */
  findExternalIds(kind: ImportedKind, externalIds: readonly string[]): Promise<Map<string, string>>;
  /** Of these key hashes, the ones a stored key already has, with that key's id. */
  findKeyHashes(hashes: readonly string[]): Promise<Map<string, string>>;
  /** Of these consumer names, the ones already taken. */
  findConsumerNames(names: readonly string[]): Promise<Set<string>>;
  /** An imported client secret's hash, replaced (a bcrypt hash by the secret's SHA-256) only if it is still `fromHash`. */
  replaceClientSecretHash(id: string, fromHash: string, toHash: string): Promise<void>;
  /** Inserts a batch in as few statements as the database allows; run it inside `transaction`. */
  insertImportBatch(batch: ImportBatch): Promise<void>;
}
