// The schemas of the import route (POST /admin/v1/imports): the request carries records as
// src/imports/records.ts defines them, checked there row by row (a bad row is refused in the report,
// not the whole request), and the answer is the import's report.
import { Type } from '@sinclair/typebox';
import { ImportClient, ImportConsumer, ImportKey, MAX_RECORDS_PER_REQUEST } from '../imports/records.js';

export { ImportClient, ImportConsumer, ImportKey };

/** The route's own body limit: 10,000 records of a few hundred bytes each, with room to spare. */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

export const ImportQuery = Type.Object(
  { dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Check and report, write nothing' })) },
  { additionalProperties: false },
);

export const ImportRequest = Type.Object(
  {
    records: Type.Array(
      Type.Object(
        { type: Type.String({ description: '`consumer` (ImportConsumer), `key` (ImportKey) or `client` (ImportClient)' }) },
        { additionalProperties: true, description: 'One record; checked against its type’s schema one by one, so a bad one is refused in the report alone' },
      ),
      { description: `At most ${MAX_RECORDS_PER_REQUEST} records (more: 413 IMPORT_TOO_LARGE)` },
    ),
  },
  { $id: 'ImportRequest', additionalProperties: false, description: `At most ${MAX_RECORDS_PER_REQUEST} records; see ImportConsumer, ImportKey, ImportClient` },
);

const Counts = Type.Object({ consumers: Type.Integer(), keys: Type.Integer(), clients: Type.Integer() });

export const ImportReport = Type.Object(
  {
    dryRun: Type.Boolean(),
    rows: Type.Integer({ description: 'Records read' }),
    created: Counts,
    skipped: Type.Object(Counts.properties, { description: 'Already there: the same externalId, or a key with the same hash' }),
    refused: Type.Integer(),
    outcomes: Type.Array(
      Type.Object({
        row: Type.Integer({ description: 'The record’s position in `records`, from 1 (CSV: its line)' }),
        type: Type.Union([Type.String(), Type.Null()]),
        externalId: Type.Union([Type.String(), Type.Null()]),
        outcome: Type.Union([Type.Literal('created'), Type.Literal('skipped'), Type.Literal('refused')]),
        id: Type.Optional(Type.String({ description: 'The consumer’s, key’s or client’s id here' })),
        code: Type.Optional(Type.String({ description: 'Why it was skipped or refused (docs/lifecycle.md, "Import")' })),
        reason: Type.Optional(Type.String()),
      }),
    ),
  },
  { $id: 'ImportReport', additionalProperties: false },
);
