export interface IdempotencyKeysTable {
  scope: string;
  key_hash: string;
  fingerprint: string;
  state: string;
  claim_token: string;
  locked_until: number;
  expires_at: number;
  created_at: number;
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
  target_type: string | null;
  target_id: string | null;
}

/** PostgreSQL only: one row per open transaction, checked and deleted by a deferred trigger at COMMIT. */
export interface StoreCommitGuardsTable {
  id: number;
  commit_before: Date;
}

export interface IdempotencyDatabase {
  idempotency_keys: IdempotencyKeysTable;
  store_commit_guards: StoreCommitGuardsTable;
}
