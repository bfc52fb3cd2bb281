// The UsageStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
import { type Kysely, sql } from 'kysely';
import { atomically } from './atomically.js';
import type { Database } from './tables.js';
import type { StatusClass, UsageStore } from './usage-types.js';

export function createUsageStoreMethods(db: Kysely<Database>): UsageStore {
  return {
    async addUsage(rows) {
      if (rows.length === 0) return;
      // One statement per 500 rows keeps every batch under both databases' parameter limits; one
      // transaction for all of them, so a batch that fails (and is retried) was not half counted.
      await atomically(db, async (trx) => {
        for (let i = 0; i < rows.length; i += 500) {
          await trx
            .insertInto('usage_counts')
            .values(
              rows.slice(i, i + 500).map((r) => ({
                bucket_start: r.bucketStart,
                consumer_id: r.consumerId,
                credential_id: r.credentialId,
                api: r.api,
                status_class: r.statusClass,
                count: r.count,
              })),
            )
            .onConflict((oc) =>
              oc
                .columns(['bucket_start', 'consumer_id', 'credential_id', 'api', 'status_class'])
                .doUpdateSet({ count: (eb) => eb('usage_counts.count', '+', eb.ref('excluded.count')) }),
            )
            .execute();
        }
      });
    },

    async queryUsage(filter) {
      const width = filter.granularityMs;
      const start = sql<number>`(bucket_start - (bucket_start % ${sql.lit(width)}))`;
      let query = db
        .selectFrom('usage_counts')
        .select([start.as('start'), 'status_class', (eb) => eb.fn.sum<number>('count').as('total')])
        .where('bucket_start', '>=', filter.from)
        .where('bucket_start', '<', filter.to)
        .groupBy([start, 'status_class'])
        .orderBy(start)
        .orderBy('status_class');
      if (filter.consumerId) query = query.where('consumer_id', '=', filter.consumerId);
      if (filter.credentialId) query = query.where('credential_id', '=', filter.credentialId);
      if (filter.api) query = query.where('api', '=', filter.api);
      const rows = await query.execute();
      return rows.map((r) => ({ start: Number(r.start), statusClass: r.status_class as StatusClass, count: Number(r.total) }));
    },

    async pruneUsage(before) {
      const result = await db.deleteFrom('usage_counts').where('bucket_start', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
