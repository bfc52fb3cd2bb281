export interface UsageCountsTable {
  bucket_start: number;
  consumer_id: string;
  credential_id: string;
  api: string;
  status_class: string;
  count: number;
}

export interface UsageDatabase {
  usage_counts: UsageCountsTable;
}
