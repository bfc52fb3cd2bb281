// The usage part of the Store port: per-minute request counts, written in batches.

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** One counter cell: requests of one consumer, credential, API and status class in one minute. */
export interface UsageRow {
  /** Start of the minute, ms since the epoch. */
  bucketStart: number;
  consumerId: string;
  /** Key id or client id; '' when none applies. */
  credentialId: string;
  api: string;
  statusClass: StatusClass;
  count: number;
}

export interface UsageFilter {
  consumerId?: string | undefined;
  credentialId?: string | undefined;
  api?: string | undefined;
  /** Inclusive, ms. */
  from: number;
  /** Exclusive, ms. */
  to: number;
  /** Bucket width in ms: 60 000, 3 600 000 or 86 400 000. */
  granularityMs: number;
}

export interface UsagePoint {
  start: number;
  statusClass: StatusClass;
  count: number;
}

export interface UsageStore {
  /** Adds the counts to what is stored (upsert). */
  addUsage(rows: ReadonlyArray<UsageRow>): Promise<void>;
  /** Counts per bucket and status class, oldest first. */
  queryUsage(filter: UsageFilter): Promise<UsagePoint[]>;
  /** Deletes counts older than `before`; returns how many rows went. */
  pruneUsage(before: number): Promise<number>;
}
