// `portcullis import FILE`: consumers, keys and OAuth clients from another system (docs/lifecycle.md,
// "Import"). On the store it runs the import service itself, in batches, with a progress bar on a
// terminal; with --url it sends the file to POST /admin/v1/imports, 10,000 records a request.
// Exit code 2 when any row was refused, so a script notices; running the file again skips what is done.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { formatOfFile, type ImportRow, MAX_RECORDS_PER_REQUEST, rowsOfJson } from '../../imports/records.js';
import type { ImportCounts, ImportReport } from '../../imports/service.js';
import { type CliContext, CliError } from '../context.js';
import { type Common, withConnection } from '../options.js';
import { printJson, printTable } from '../output.js';
import { progressBar } from '../progress.js';
import { connect } from '../transport.js';

/** The exit code of an import that refused a row. */
export const EXIT_ROWS_REFUSED = 2;

interface ImportOptions extends Common {
  format?: string;
  dryRun?: boolean;
}

async function readRows(ctx: CliContext, file: string, format: string | undefined): Promise<ImportRow[]> {
  const path = resolve(ctx.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (formatOfFile(path, format) !== 'csv') return rowsOfJson(text);
  // Loaded here, not with the command line: `portcullis start` never needs the CSV parser.
  const { rowsOfCsv } = await import('../../imports/csv.js');
  return rowsOfCsv(text);
}

/** Reports of several requests as one; each request's rows are numbered from 1, so they are shifted back to the file's. */
function merge(reports: Array<{ report: ImportReport; rows: ImportRow[] }>, dryRun: boolean): ImportReport {
  const sum = (pick: (r: ImportReport) => ImportCounts): ImportCounts => ({
    consumers: reports.reduce((n, { report }) => n + pick(report).consumers, 0),
    keys: reports.reduce((n, { report }) => n + pick(report).keys, 0),
    clients: reports.reduce((n, { report }) => n + pick(report).clients, 0),
  });
  return {
    dryRun,
    rows: reports.reduce((n, { report }) => n + report.rows, 0),
    created: sum((r) => r.created),
    skipped: sum((r) => r.skipped),
    refused: reports.reduce((n, { report }) => n + report.refused, 0),
    outcomes: reports.flatMap(({ report, rows }) => report.outcomes.map((o) => ({ ...o, row: rows[o.row - 1]!.row }))),
  };
}

function printReport(ctx: CliContext, report: ImportReport): void {
  const counts = (c: ImportCounts) => `${c.consumers} consumers, ${c.keys} keys, ${c.clients} clients`;
  ctx.stdout.write(`${report.dryRun ? 'dry run, nothing written — would create' : 'created'}: ${counts(report.created)}\n`);
  ctx.stdout.write(`skipped (already there): ${counts(report.skipped)}\n`);
  ctx.stdout.write(`refused: ${report.refused}\n`);
  const refused = report.outcomes
    .filter((o) => o.outcome === 'refused')
    .map(({ row, type, externalId, code, reason }) => ({ row, type, externalId, code, reason }));
  if (refused.length > 0) {
    ctx.stdout.write('\n');
    printTable(ctx.stdout, refused, ['row', 'type', 'externalId', 'code', 'reason']);
  }
}

export function addImport(program: Command, ctx: CliContext): void {
  withConnection(
    program
      .command('import')
      .description('import consumers, keys and OAuth clients from another system (JSON or CSV; idempotent by externalId)')
      .argument('<file>', 'a .json or .csv file (docs/lifecycle.md, "Import")'),
  )
    .addOption(new Option('--format <format>', 'csv or json (default: from the file name)').choices(['csv', 'json']))
    .option('--dry-run', 'check every row and report, write nothing')
    .action(async (file: string, o: ImportOptions) => {
      const rows = await readRows(ctx, file, o.format);
      const dryRun = o.dryRun === true;
      const bar = progressBar(ctx.stdout, dryRun ? 'checking' : 'importing');
      const onProgress = o.json ? undefined : (done: number, total: number) => bar.update(done, total);
      const transport = await connect(ctx, o, { access: dryRun ? 'read' : 'write' });
      let report: ImportReport;
      try {
        if (transport.app) {
          report = await transport.app.imports.run(rows, { actor: { id: 'cli:local', sourceIp: null }, dryRun, ...(onProgress ? { onProgress } : {}) });
        } else {
          const parts: Array<{ report: ImportReport; rows: ImportRow[] }> = [];
          for (let i = 0; i < rows.length || i === 0; i += MAX_RECORDS_PER_REQUEST) {
            const part = rows.slice(i, i + MAX_RECORDS_PER_REQUEST);
            const response = await transport.request('POST', `/admin/v1/imports${dryRun ? '?dryRun=true' : ''}`, { records: part.map((r) => r.value) });
            if (response.status >= 400) {
              const p = (response.body ?? {}) as { detail?: string; code?: string };
              throw new CliError(`${p.detail ?? `HTTP ${response.status}`} [${p.code ?? response.status}]`);
            }
            parts.push({ report: response.body as ImportReport, rows: part });
            onProgress?.(Math.min(i + part.length, rows.length), rows.length);
          }
          report = merge(parts, dryRun);
        }
      } finally {
        bar.end();
        await transport.close();
      }
      if (o.json) printJson(ctx.stdout, report);
      else printReport(ctx, report);
      if (report.refused > 0) ctx.exitCode = EXIT_ROWS_REFUSED;
    });
}
