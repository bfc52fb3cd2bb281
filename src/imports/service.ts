// Import from another system: consumers, API keys and OAuth clients, idempotent by external id.
// Rows are checked one by one (records.ts); the good ones are written in batches of `batchSize`, each
// batch in one transaction with its audit events (not a transaction per row, not one for the whole
// file), consumers first so that keys and clients find them. What is already there — by external id,
// or a key by its hash — is skipped; the report says per row what was created, skipped or refused.
// Keys keep working as they did elsewhere: a plaintext key is stored as its SHA-256 like ours, and a
// key given as a SHA-256 (or a plaintext not of our format) is a `foreign` key, looked up by its hash
// (src/keys/foreign.ts). Nothing secret reaches the report, the audit trail or a log.

import { type Actor, auditEvent } from '../audit/log.js';
import { newConsumerRecord } from '../consumers/service.js';
import { isPortcullisError } from '../errors/codes.js';
import { type ForeignKeyPresence, maskForeignHash, maskForeignKey } from '../keys/foreign.js';
import { hashKey, isWellFormedKey, maskKey } from '../keys/format.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { normaliseAllowedIps } from '../lib/ip-allowlist.js';
import { checkMetadata, uniqueStrings } from '../lib/validate.js';
import type { ImportBatch, ImportedKind } from '../store/imports-types.js';
import { type ClientSecretRecord, type OAuthClientRecord, SECRET_AUTH_METHODS } from '../store/oauth-types.js';
import type { ConsumerRecord, KeyRecord, QuotaPolicy, RateLimitPolicy, Store } from '../store/types.js';
import {
  type CheckedRow,
  checkRow,
  type ImportClientRecord,
  type ImportConsumerRecord,
  type ImportKeyRecord,
  type ImportRecord,
  type ImportRow,
} from './records.js';

/** Rows written per transaction: large enough that 100k keys take seconds, small enough that no transaction holds the store for long. */
export const IMPORT_BATCH_SIZE = 1000;

export interface ImportServiceDeps {
  store: Store;
  clock: Clock;
  keyPrefix: string;
  secretPrefix: string;
  defaultTokenTtlSeconds: number;
  maxTokenTtlSeconds: number;
  foreignKeys: Pick<ForeignKeyPresence, 'markPresent'>;
  /** Told of each key hash created, so this node's negative cache forgets it at once (others' expire within keys.cache.negativeTtl). */
  forgetUnknown: (hash: string) => void;
}

export interface ImportOptions {
  actor: Actor;
  dryRun?: boolean;
  /** Told after each batch: rows handled so far and in all. */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
}

export type Outcome = 'created' | 'skipped' | 'refused';

export interface RowOutcome {
  row: number;
  type: string | null;
  externalId: string | null;
  outcome: Outcome;
  /** The consumer's, key's or client's id here (created, or already there). */
  id?: string;
  /** Why a row was skipped or refused: a stable code and a sentence. */
  code?: string;
  reason?: string;
}

export interface ImportCounts {
  consumers: number;
  keys: number;
  clients: number;
}

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  created: ImportCounts;
  skipped: ImportCounts;
  refused: number;
  /** One entry per row, in row order. */
  outcomes: RowOutcome[];
}

const ORDER: Record<ImportRecord['type'], number> = { consumer: 0, key: 1, client: 2 };
const COUNTED: Record<ImportRecord['type'], keyof ImportCounts> = { consumer: 'consumers', key: 'keys', client: 'clients' };

/** A SHA-256 as other systems write it (hex, base64, base64url) → lowercase hex; undefined if it is not 32 bytes. */
export function normalizeSha256(value: string): string | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}

class RowRefused extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A domain check's error (checkMetadata, …) as the row's refusal; anything else is a fault. */
function asRefusal(error: unknown): RowRefused {
  if (error instanceof RowRefused) return error;
  if (isPortcullisError(error)) return new RowRefused(error.code, error.detail);
  throw error;
}

function checkSubset(scopes: string[] | undefined, consumer: ConsumerRecord): string[] {
  if (scopes === undefined) return consumer.scopes;
  const extra = scopes.filter((s) => !consumer.scopes.includes(s));
  if (extra.length > 0) throw new RowRefused('SCOPES_NOT_ALLOWED', `consumer ${consumer.id} does not allow: ${extra.join(', ')}`);
  return uniqueStrings(scopes);
}

export function createImportService(deps: ImportServiceDeps) {
  const { store, clock } = deps;

  return {
    async run(rows: readonly ImportRow[], { actor, dryRun = false, onProgress, batchSize = IMPORT_BATCH_SIZE }: ImportOptions): Promise<ImportReport> {
      // The import is idempotent by external id itself; an Idempotency-Key's claim would be marked by the first batch only.
      const importer: Actor = { id: actor.id, sourceIp: actor.sourceIp };
      const outcomes: RowOutcome[] = [];
      const good: Array<Extract<CheckedRow, { ok: true }>> = [];
      const seen = new Set<string>();
      for (const checked of rows.map(checkRow)) {
        if (!checked.ok) {
          outcomes.push({
            row: checked.row,
            type: checked.type,
            externalId: checked.externalId,
            outcome: 'refused',
            code: checked.code,
            reason: checked.reason,
          });
          continue;
        }
        const { type, externalId } = checked.record;
        if (seen.has(`${type}\u0000${externalId}`)) {
          outcomes.push({
            row: checked.row,
            type,
            externalId,
            outcome: 'refused',
            code: 'DUPLICATE_IN_FILE',
            reason: `an earlier row has the ${type} ${externalId}`,
          });
          continue;
        }
        seen.add(`${type}\u0000${externalId}`);
        good.push(checked);
      }
      good.sort((a, b) => ORDER[a.record.type] - ORDER[b.record.type] || a.row - b.row);

      // What this run created (or, in a dry run, would create), and consumers read from the store.
      const run: RunState = { consumers: new Map(), names: new Set(), hashes: new Map(), storedConsumers: new Map() };
      let done = rows.length - good.length;
      onProgress?.(done, rows.length);
      for (let i = 0; i < good.length; i += batchSize) {
        const slice = good.slice(i, i + batchSize);
        const planned = dryRun
          ? await plan(store, slice, importer, run)
          : await store.transaction(async (tx) => {
              const batch = await plan(tx, slice, importer, run);
              await tx.insertImportBatch(batch.records);
              return batch;
            });
        outcomes.push(...planned.outcomes);
        if (!dryRun) {
          for (const key of planned.records.keys) deps.forgetUnknown(key.hash);
          if (planned.records.keys.some((k) => k.format === 'foreign')) deps.foreignKeys.markPresent();
        }
        done += slice.length;
        onProgress?.(done, rows.length);
      }
      return report(outcomes, rows.length, dryRun);
    },
  };

  async function plan(tx: Store, slice: Array<Extract<CheckedRow, { ok: true }>>, actor: Actor, run: RunState) {
    const now = clock.now();
    const records: ImportBatch = { consumers: [], keys: [], clients: [], secrets: [], events: [] };
    const outcomes: RowOutcome[] = [];
    const ofType = <T extends ImportRecord>(type: T['type']) => slice.filter((r) => r.record.type === type) as Array<{ row: number; record: T }>;
    const consumerRows = ofType<ImportConsumerRecord>('consumer');
    const keyRows = ofType<ImportKeyRecord>('key');
    const clientRows = ofType<ImportClientRecord>('client');

    const existing = async (kind: ImportedKind, list: Array<{ record: ImportRecord }>) =>
      list.length === 0
        ? new Map<string, string>()
        : tx.findExternalIds(
            kind,
            list.map((r) => r.record.externalId),
          );
    const takenNames = consumerRows.length === 0 ? new Set<string>() : await tx.findConsumerNames(consumerRows.map((r) => r.record.name));
    const event = (action: Parameters<typeof auditEvent>[1], target: Parameters<typeof auditEvent>[2], details: Record<string, string>) =>
      records.events.push(auditEvent(actor, action, target, { ...details, import: true }, now));

    function each<T extends ImportRecord>(
      list: Array<{ row: number; record: T }>,
      there: Map<string, string>,
      create: (record: T) => string | { skip: string; code: string; reason: string },
    ) {
      for (const { row, record } of list) {
        const base = { row, type: record.type, externalId: record.externalId };
        const id = there.get(record.externalId);
        if (id !== undefined) {
          outcomes.push({ ...base, outcome: 'skipped', id, code: 'ALREADY_IMPORTED', reason: `the ${record.type} with this externalId exists` });
          continue;
        }
        try {
          const made = create(record);
          if (typeof made === 'string') outcomes.push({ ...base, outcome: 'created', id: made });
          else outcomes.push({ ...base, outcome: 'skipped', id: made.skip, code: made.code, reason: made.reason });
        } catch (error) {
          const refusal = asRefusal(error);
          outcomes.push({ ...base, outcome: 'refused', code: refusal.code, reason: refusal.reason });
        }
      }
    }

    each(consumerRows, await existing('consumer', consumerRows), (r) => {
      if (takenNames.has(r.name) || run.names.has(r.name)) throw new RowRefused('CONSUMER_NAME_TAKEN', `a consumer named ${r.name} exists`);
      const { type: _type, externalId, rateLimit, quota, ...fields } = r;
      const consumer = newConsumerRecord(
        {
          ...fields,
          externalIds: [externalId],
          rateLimit: (rateLimit as RateLimitPolicy | undefined) ?? null,
          quota: (quota as QuotaPolicy | undefined) ?? null,
        },
        now,
      );
      records.consumers.push(consumer);
      run.consumers.set(r.externalId, consumer);
      run.names.add(r.name);
      event('consumer.imported', { type: 'consumer', id: consumer.id }, { name: consumer.name, externalId: r.externalId });
      return consumer.id;
    });

    // The consumers keys and clients name: made by this run, or already in the store.
    const wanted = [...new Set([...keyRows, ...clientRows].map((r) => (r.record as ImportKeyRecord).consumer))].filter(
      (ref) => !run.consumers.has(ref) && !run.storedConsumers.has(ref),
    );
    if (wanted.length > 0) {
      const ids = await tx.findExternalIds('consumer', wanted);
      for (const ref of wanted) {
        const id = ids.get(ref);
        run.storedConsumers.set(ref, id === undefined ? null : ((await tx.getConsumer(id)) ?? null));
      }
    }
    const consumerOf = (ref: string): ConsumerRecord => {
      const consumer = run.consumers.get(ref) ?? run.storedConsumers.get(ref);
      if (!consumer) throw new RowRefused('CONSUMER_NOT_FOUND', `no consumer with externalId ${ref} in this file or the store`);
      return consumer;
    };

    const hashOf = (r: ImportKeyRecord): string => {
      if (r.key !== undefined) return hashKey(r.key);
      const hash = normalizeSha256(r.sha256!);
      if (hash === undefined) throw new RowRefused('VALIDATION_FAILED', '/sha256: is not 32 bytes');
      return hash;
    };
    const keyHashes = keyRows.flatMap((r) => {
      try {
        return [hashOf(r.record)];
      } catch {
        return [];
      }
    });
    const storedHashes = keyHashes.length === 0 ? new Map<string, string>() : await tx.findKeyHashes(keyHashes);
    each(keyRows, await existing('key', keyRows), (r) => {
      const consumer = consumerOf(r.consumer);
      const hash = hashOf(r);
      const sameKey = storedHashes.get(hash) ?? run.hashes.get(hash);
      if (sameKey !== undefined) return { skip: sameKey, code: 'KEY_EXISTS', reason: 'a key with the same hash is already stored' };
      const ours = r.key !== undefined && isWellFormedKey(r.key, deps.keyPrefix);
      const expiresAt = r.expiresAt === undefined ? null : Date.parse(r.expiresAt);
      if (expiresAt !== null && !Number.isFinite(expiresAt)) throw new RowRefused('INVALID_TIME', '/expiresAt: is not a time');
      const key: KeyRecord = {
        id: newId('key', now),
        consumerId: consumer.id,
        name: r.name ?? '',
        hash,
        masked: ours ? maskKey(r.key!, deps.keyPrefix) : r.key !== undefined ? maskForeignKey(r.key) : maskForeignHash(r.start),
        scopes: checkSubset(r.scopes, consumer),
        metadata: checkMetadata(r.metadata ?? {}),
        expiresAt,
        enabled: r.enabled ?? true,
        revokedAt: null,
        lastUsedAt: null,
        rateLimit: (r.rateLimit as RateLimitPolicy | undefined) ?? null,
        quota: (r.quota as QuotaPolicy | undefined) ?? null,
        allowedIps: normaliseAllowedIps(r.allowedIps ?? []),
        createdAt: now,
        updatedAt: now,
        format: ours ? 'portcullis' : 'foreign',
        externalId: r.externalId,
      };
      records.keys.push(key);
      run.hashes.set(hash, key.id);
      event('key.imported', { type: 'key', id: key.id }, { consumerId: consumer.id, masked: key.masked, externalId: r.externalId, format: key.format! });
      return key.id;
    });

    each(clientRows, await existing('client', clientRows), (r) => {
      const consumer = consumerOf(r.consumer);
      const ttl = r.tokenTtlSeconds ?? Math.min(deps.defaultTokenTtlSeconds, deps.maxTokenTtlSeconds);
      if (ttl > deps.maxTokenTtlSeconds)
        throw new RowRefused('TOKEN_TTL_TOO_LONG', `tokenTtlSeconds ${ttl} is longer than oauth.maxTokenTtl (${deps.maxTokenTtlSeconds}s)`);
      const client: OAuthClientRecord = {
        id: newId('cli', now),
        consumerId: consumer.id,
        name: r.name ?? '',
        scopes: checkSubset(r.scopes, consumer),
        audiences: uniqueStrings(r.audiences ?? []),
        tokenTtlSeconds: ttl,
        authMethods: [...SECRET_AUTH_METHODS],
        jwks: null,
        enabled: r.enabled ?? true,
        tokensRevokedBefore: null,
        rateLimit: (r.rateLimit as RateLimitPolicy | undefined) ?? null,
        quota: (r.quota as QuotaPolicy | undefined) ?? null,
        allowedIps: normaliseAllowedIps(r.allowedIps ?? []),
        createdAt: now,
        updatedAt: now,
        externalId: r.externalId,
      };
      records.clients.push(client);
      records.secrets.push(secretOf(r, client.id, now));
      event('client.imported', { type: 'client', id: client.id }, { consumerId: consumer.id, externalId: r.externalId });
      return client.id;
    });
    return { records, outcomes };
  }

  /** The client's secret as stored: SHA-256 hex like ours, or the bcrypt hash as it came. */
  function secretOf(r: ImportClientRecord, clientId: string, now: number): ClientSecretRecord {
    const record = { id: newId('sec', now), clientId, expiresAt: null, createdAt: now };
    if (r.secret !== undefined) {
      const masked = isWellFormedKey(r.secret, deps.secretPrefix) ? maskKey(r.secret, deps.secretPrefix) : maskForeignKey(r.secret);
      return { ...record, hash: hashKey(r.secret), masked };
    }
    if (r.secretSha256 !== undefined) {
      const hash = normalizeSha256(r.secretSha256);
      if (hash === undefined) throw new RowRefused('VALIDATION_FAILED', '/secretSha256: is not 32 bytes');
      return { ...record, hash, masked: maskForeignHash(undefined) };
    }
    return { ...record, hash: r.secretBcrypt!, masked: 'bcrypt…' };
  }
}

interface RunState {
  /** Consumers created by this run, by external id. */
  consumers: Map<string, ConsumerRecord>;
  names: Set<string>;
  /** Key hashes this run created, with the key's id. */
  hashes: Map<string, string>;
  /** Consumers of the store named by external id (null: none has it). */
  storedConsumers: Map<string, ConsumerRecord | null>;
}

function report(outcomes: RowOutcome[], rows: number, dryRun: boolean): ImportReport {
  const created: ImportCounts = { consumers: 0, keys: 0, clients: 0 };
  const skipped: ImportCounts = { consumers: 0, keys: 0, clients: 0 };
  let refused = 0;
  for (const o of outcomes) {
    if (o.outcome === 'refused') refused++;
    else (o.outcome === 'created' ? created : skipped)[COUNTED[o.type as ImportRecord['type']]]++;
  }
  outcomes.sort((a, b) => a.row - b.row);
  return { dryRun, rows, created, skipped, refused, outcomes };
}

export type ImportService = ReturnType<typeof createImportService>;
