// The records an import reads, in JSON or CSV (docs/lifecycle.md, "Import"): consumers, keys and
// OAuth clients from another system, each named by its external id. This module turns a file into
// numbered rows and checks each row against its type's schema; a bad row is refused alone, a file
// that cannot be read at all is refused whole (IMPORT_INVALID).
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PortcullisError } from '../errors/codes.js';
import { quotaSettingProblem, rateSettingProblem } from '../limits/settings.js';

/** Records one admin API request may carry (the CLI sends a larger file in several requests). */
export const MAX_RECORDS_PER_REQUEST = 10_000;

const ExternalId = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: 'The id the other system gave it (visible ASCII)' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Scope = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' });
const Scopes = Type.Array(Scope, { maxItems: 200 });
const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'Any JSON object, at most 8 KB serialised' });
const Policy = Type.Record(Type.String(), Type.Unknown(), { description: 'As on the admin API: `{ limit, window, by? }` or `{ limit, period }`' });
const Sha256 = Type.String({
  pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$',
  description: 'SHA-256 of the key as the other system stored it: 64 hex digits or 43–44 base64/base64url characters',
});
/** What every record may carry besides its own fields. */
const common = {
  scopes: Type.Optional(Scopes),
  enabled: Type.Optional(Type.Boolean()),
  rateLimit: Type.Optional(Policy),
  quota: Type.Optional(Policy),
  allowedIps: Type.Optional(
    Type.Array(Type.String({ maxLength: 60 }), {
      maxItems: 100,
      description: 'Addresses and CIDR blocks the credentials may be used from (docs/lifecycle.md#ip-allowlists)',
    }),
  ),
};
/** What keys and clients have besides `common`: their consumer and an optional name. */
const owned = {
  consumer: Type.String({ minLength: 1, maxLength: 200, description: "The consumer's externalId (in this file or imported before)" }),
  name: Type.Optional(Type.String({ maxLength: 200 })),
};
/** A key or secret in plaintext: visible ASCII, stored as its SHA-256 only. */
const plaintext = (minLength: number, what: string) =>
  Type.Optional(Type.String({ minLength, maxLength: 512, pattern: '^[\\x21-\\x7e]+$', description: `The ${what} in plaintext: stored as its SHA-256 only` }));

export const ImportConsumer = Type.Object(
  {
    type: Type.Literal('consumer'),
    externalId: ExternalId,
    name: Name,
    metadata: Type.Optional(Metadata),
    ...common,
  },
  { $id: 'ImportConsumer', additionalProperties: false, description: 'A consumer; keys and clients name it by its externalId' },
);

export const ImportKey = Type.Object(
  {
    type: Type.Literal('key'),
    externalId: ExternalId,
    ...owned,
    key: plaintext(16, 'key'),
    sha256: Type.Optional(Sha256),
    start: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 12,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'With sha256: the first characters the other system kept for display',
      }),
    ),
    metadata: Type.Optional(Metadata),
    expiresAt: Type.Optional(
      Type.String({
        pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$',
        description: 'RFC 3339 date-time, e.g. 2027-01-01T00:00:00Z',
      }),
    ),
    ...common,
  },
  { $id: 'ImportKey', additionalProperties: false, description: 'An API key: exactly one of `key` (plaintext) or `sha256`' },
);

export const ImportClient = Type.Object(
  {
    type: Type.Literal('client'),
    externalId: ExternalId,
    ...owned,
    secret: plaintext(8, 'client secret'),
    secretSha256: Type.Optional(Sha256),
    secretBcrypt: Type.Optional(
      Type.String({ pattern: '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$', description: 'A bcrypt hash of the secret ($2a$, $2b$ or $2y$)' }),
    ),
    audiences: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500, pattern: '^[\\x21-\\x7e]+$' }), { maxItems: 50 })),
    tokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    ...common,
  },
  {
    $id: 'ImportClient',
    additionalProperties: false,
    description: 'An OAuth client: exactly one of `secret`, `secretSha256` or `secretBcrypt`; it gets a new client_id',
  },
);

export type ImportConsumerRecord = Static<typeof ImportConsumer>;
export type ImportKeyRecord = Static<typeof ImportKey>;
export type ImportClientRecord = Static<typeof ImportClient>;
export type ImportRecord = ImportConsumerRecord | ImportKeyRecord | ImportClientRecord;
export type ImportType = ImportRecord['type'];

/** One record as read from the file, with where it was: the record's index (JSON) or line (CSV). */
export interface ImportRow {
  row: number;
  value: unknown;
}

/** A row checked: its record, or why it is refused. */
export type CheckedRow =
  | { ok: true; row: number; record: ImportRecord }
  | { ok: false; row: number; type: string | null; externalId: string | null; code: string; reason: string };

const CHECKS: Record<ImportType, ReturnType<typeof TypeCompiler.Compile<TSchema>>> = {
  consumer: TypeCompiler.Compile(ImportConsumer),
  key: TypeCompiler.Compile(ImportKey),
  client: TypeCompiler.Compile(ImportClient),
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, 200) : null);

/** Exactly one of these fields must be given on a row of this type. */
const ONE_OF: Partial<Record<ImportType, readonly string[]>> = { key: ['key', 'sha256'], client: ['secret', 'secretSha256', 'secretBcrypt'] };

export function checkRow({ row, value }: ImportRow): CheckedRow {
  const type = isObject(value) ? value.type : undefined;
  const refuse = (code: string, reason: string): CheckedRow => ({
    ok: false,
    row,
    type: text(type),
    externalId: isObject(value) ? text(value.externalId) : null,
    code,
    reason,
  });
  if (!isObject(value)) return refuse('VALIDATION_FAILED', 'a record must be an object');
  if (type !== 'consumer' && type !== 'key' && type !== 'client') return refuse('VALIDATION_FAILED', 'type must be consumer, key or client');
  const check = CHECKS[type];
  if (!check.Check(value)) {
    const error = check.Errors(value).First();
    return refuse('VALIDATION_FAILED', `${error?.path || '/'}: ${error?.message ?? 'does not match the schema'}`.slice(0, 300));
  }
  const given = (ONE_OF[type] ?? []).filter((field) => value[field] !== undefined);
  if (ONE_OF[type] && given.length !== 1) return refuse('VALIDATION_FAILED', `give exactly one of ${ONE_OF[type]!.join(', ')}`);
  for (const [field, problemOf] of [
    ['rateLimit', rateSettingProblem],
    ['quota', quotaSettingProblem],
  ] as const) {
    const problem = value[field] !== undefined ? problemOf(value[field]) : undefined;
    if (problem) return refuse('VALIDATION_FAILED', `/${[field, problem.field].filter(Boolean).join('/')}: ${problem.message}`);
  }
  return { ok: true, row, record: value as ImportRecord };
}

export type ImportFormat = 'json' | 'csv';

/** `.csv` is CSV, anything else JSON, unless the caller names the format. */
export function formatOfFile(path: string, given: string | undefined): ImportFormat {
  if (given !== undefined) {
    if (given !== 'json' && given !== 'csv') throw new PortcullisError('IMPORT_INVALID', `--format is csv or json, not ${given}`);
    return given;
  }
  return path.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
}

/** A JSON import document: `{ "records": [ … ] }`; row numbers count records from 1. */
export function rowsOfJson(text: string): ImportRow[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PortcullisError('IMPORT_INVALID', `the file is not valid JSON (${(error as Error).message.slice(0, 200)})`);
  }
  return rowsOfDocument(document);
}

export function rowsOfDocument(document: unknown): ImportRow[] {
  if (!isObject(document) || !Array.isArray(document.records))
    throw new PortcullisError('IMPORT_INVALID', 'an import document is an object with a "records" array');
  return document.records.map((value, i) => ({ row: i + 1, value }));
}
