import { closeSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, openPrivate, writePrivateFile } from '../private-fs.js';
import type { ImportJournal, JournalEntry } from '../state/import-journal.js';
import { csvText, escapeFormula } from './formats.js';
import { redactRecord } from './redact-record.js';

/** One record the import could not write, as `failures.ndjson` holds it. */
export interface ImportFailure {
  source_id: string | null;
  where: string;
  field?: string;
  code: string;
  message: string;
  clerk_trace_id?: string;
  status?: number;
  record: unknown;
}

/** A dry run's outcome for one record (a real run reads its outcomes from the journal). */
export interface DryRunRow {
  source_id: string;
  outcome: string;
  not_imported: string[];
}

/**
 * The reports of an import, in its report folder (0600 files in a 0700 folder): `failures.ndjson`
 * written as failures happen (the record redacted), and at the end `id-map.csv` and `summary.json`
 * (`dry-run-…` for a dry run). The journal is the state; these are what people read.
 */
export class ImportReports {
  private readonly failuresFd: number;
  private readonly prefix: string;

  constructor(
    readonly dir: string,
    dryRun: boolean,
    /** The failures file's name after the dry-run prefix: the users' `failures.ndjson`, the organizations' own. */
    failuresName = 'failures.ndjson',
  ) {
    this.prefix = dryRun ? 'dry-run-' : '';
    this.failuresFd = openPrivate(path.join(ensurePrivateDir(dir), `${this.prefix}${failuresName}`), 'w');
  }

  /** A CSV report in the report folder (`dry-run-` prefixed for a dry run), with the export's CSV rules. */
  writeCsv(name: string, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | undefined>>): void {
    const cell = (v: string | undefined): string => (v ? csvText(escapeFormula(v)) : '');
    writePrivateFile(path.join(this.dir, `${this.prefix}${name}`), [header, ...rows].map((r) => r.map(cell).join(',') + '\r\n').join(''));
  }

  /** `summary.json` (again, when a later stage adds to it). */
  writeSummary(summary: object): void {
    writePrivateFile(path.join(this.dir, `${this.prefix}summary.json`), JSON.stringify(summary, null, 2) + '\n');
  }

  /** Appended at once, with a synchronous write: a kill loses at most this line. */
  failure(f: ImportFailure): void {
    writeSync(this.failuresFd, JSON.stringify({ ...f, record: redactRecord(f.record) }) + '\n');
  }

  closeFailures(): void {
    closeSync(this.failuresFd);
  }

  /** The id map (from the journal, or the dry run's rows and failures) and the summary. */
  finish(summary: object, journal: ImportJournal | undefined, dryRunRows: readonly DryRunRow[], failed: ReadonlyMap<string, ImportFailure>): void {
    const rows: Array<Record<string, string>> = [];
    if (journal) {
      for (const e of journal.entries()) rows.push(mapRow(e));
    } else {
      for (const r of dryRunRows) rows.push({ source_id: r.source_id, clerk_user_id: '', outcome: r.outcome, not_imported: r.not_imported.join(';') });
      for (const [id, f] of failed) rows.push({ source_id: id, clerk_user_id: '', outcome: 'failed', not_imported: '', error_code: f.code });
    }
    // The export's CSV rules (README "CSV formula injection"): RFC 4180 quoting, and a cell a
    // spreadsheet would run as a formula (a source id `=HYPERLINK(…)`) gets a leading `'`.
    const cell = (v: string | undefined): string => (v ? csvText(escapeFormula(v)) : '');
    const csv = rows.map((r) => [r.source_id, r.clerk_user_id, r.outcome, r.not_imported].map(cell).join(',') + '\r\n').join('');
    writePrivateFile(path.join(this.dir, `${this.prefix}id-map.csv`), 'source_id,clerk_user_id,outcome,not_imported\r\n' + csv);
    writePrivateFile(path.join(this.dir, `${this.prefix}summary.json`), JSON.stringify(summary, null, 2) + '\n');
  }
}

function mapRow(e: JournalEntry): Record<string, string> {
  const outcome = e.state === 'pending' ? 'unknown' : e.state;
  return { source_id: e.source_id, clerk_user_id: e.clerk_id ?? '', outcome, not_imported: (e.not_imported ?? []).join(';') };
}
