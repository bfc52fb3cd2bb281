// The CSV form of an import file (docs/lifecycle.md, "Import"): a header row naming the record fields,
// read with csv-parse into the same rows as the JSON form. Its own module, loaded by the command line
// only: the server never reads CSV, so it never loads the parser.
import { parse as parseCsv } from 'csv-parse/sync';
import { PortcullisError } from '../errors/codes.js';
import type { ImportRow } from './records.js';

/** CSV columns: every field of the three record types; list columns are space-separated, object columns JSON. */
const CSV_COLUMNS = new Set([
  'type',
  'externalId',
  'consumer',
  'name',
  'key',
  'sha256',
  'start',
  'secret',
  'secretSha256',
  'secretBcrypt',
  'scopes',
  'audiences',
  'metadata',
  'expiresAt',
  'enabled',
  'tokenTtlSeconds',
  'rateLimit',
  'quota',
  'allowedIps',
]);
const LIST_COLUMNS = new Set(['scopes', 'audiences', 'allowedIps']);
const JSON_COLUMNS = new Set(['metadata', 'rateLimit', 'quota']);

/** A CSV cell as the record field it stands for; an empty cell is a field left out. */
function fieldOf(column: string, cell: string): unknown {
  if (LIST_COLUMNS.has(column)) return cell.split(/\s+/).filter(Boolean);
  if (JSON_COLUMNS.has(column)) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell; // the row's schema check refuses it, with the column's name
    }
  }
  if (column === 'enabled') return cell === 'true' ? true : cell === 'false' ? false : cell;
  if (column === 'tokenTtlSeconds') return /^[0-9]{1,12}$/.test(cell) ? Number(cell) : cell;
  return cell;
}

/** A CSV file with a header row naming its columns (docs/lifecycle.md); row numbers are the record's line. */
export function rowsOfCsv(text: string): ImportRow[] {
  let parsed: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    parsed = parseCsv(text, { columns: true, bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (error) {
    throw new PortcullisError('IMPORT_INVALID', `the file is not valid CSV (${(error as Error).message.slice(0, 200)})`);
  }
  const header = parsed[0] ? Object.keys(parsed[0].record) : [];
  const unknown = header.filter((column) => !CSV_COLUMNS.has(column));
  if (unknown.length > 0) throw new PortcullisError('IMPORT_INVALID', `unknown CSV columns: ${unknown.slice(0, 10).join(', ')}`);
  return parsed.map(({ record, info }) => {
    const value: Record<string, unknown> = {};
    for (const [column, cell] of Object.entries(record)) if (cell !== '') value[column] = fieldOf(column, cell);
    return { row: info.lines, value };
  });
}
