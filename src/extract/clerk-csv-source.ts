import { createReadStream } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { EtlError } from '../errors.js';
import { DASHBOARD_CSV_COLUMNS } from '../transform/import-user.js';
import { assertReadable } from './file-source.js';
import type { Source } from './source.js';
import type { RunContext, SourceRecord } from '../model/records.js';

const BATCH = 500;

/**
 * Clerk's dashboard "Export users" CSV, streamed with papaparse. The file is decoded as UTF-8
 * before papaparse sees it: papaparse corrupts multi-byte characters split across raw Buffer
 * chunks (docs/dependencies.md, "papaparse"). Columns are matched by header name, so their order does not matter;
 * `#` comment lines and blank lines are skipped. A row with fewer fields than the header reads the
 * missing trailing cells as empty; a row papaparse cannot read (unbalanced quotes) or with more
 * fields than the header becomes a record with an error naming the row.
 */
export class ClerkCsvSource implements Source {
  readonly mayRepeat = false;
  readonly description: Record<string, unknown>;
  /** Header problems found when reading (missing or unknown columns). */
  readonly headerWarnings: string[] = [];

  constructor(private readonly file: string) {
    this.description = { kind: 'clerk-dashboard-csv', path: path.resolve(file) };
  }

  async total(): Promise<undefined> {
    return undefined;
  }

  async *read(ctx: RunContext): AsyncIterable<SourceRecord[]> {
    await assertReadable(this.file);
    const stream = createReadStream(this.file, { encoding: 'utf8', signal: ctx.signal });
    const queue: SourceRecord[] = [];
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    let parser: Papa.Parser | undefined;
    let paused = false;
    let row = 0;
    let header: string[] | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    Papa.parse<Record<string, string>>(stream, {
      header: true,
      comments: '#',
      skipEmptyLines: 'greedy',
      transformHeader: (h) => h.replace(/^\uFEFF/, '').trim(),
      step: (res, p) => {
        parser = p;
        if (!header) {
          header = res.meta.fields ?? [];
          const problem = this.checkHeader(header);
          if (problem) {
            failure = problem;
            p.abort();
            notify();
            return;
          }
        }
        row++;
        const where = `row ${row}`;
        const data = res.data as Record<string, unknown>;
        const extra = data.__parsed_extra;
        // A row that stops early (Clerk's own sample drops an empty trailing password_hasher) reads
        // its missing trailing cells as empty; any other papaparse error makes the row a reject.
        const err = res.errors.find((e) => e.code !== 'TooFewFields');
        if (err) {
          queue.push({ value: undefined, where, text: JSON.stringify(data), error: `unreadable CSV row (${err.code}): ${err.message}` });
        } else if (Array.isArray(extra)) {
          queue.push({ value: undefined, where, text: JSON.stringify(data), error: `the row has ${extra.length} more field(s) than the header` });
        } else {
          queue.push({ value: data, where });
        }
        if (queue.length >= BATCH && !paused) {
          paused = true;
          p.pause();
        }
        notify();
      },
      complete: () => {
        finished = true;
        notify();
      },
      error: (err: Error) => {
        failure = new EtlError('INPUT_INVALID', `Could not read ${this.file} as CSV: ${err.message}`);
        notify();
      },
    });
    for (;;) {
      if (queue.length) {
        const batch = queue.splice(0, queue.length);
        if (paused) {
          paused = false;
          parser?.resume();
        }
        yield batch;
        continue;
      }
      if (failure) throw failure;
      if (finished) return;
      ctx.signal.throwIfAborted();
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  private checkHeader(fields: string[]): EtlError | undefined {
    if (!fields.includes('id')) {
      return new EtlError(
        'INPUT_INVALID',
        `${this.file} is not a Clerk dashboard export: its header has no "id" column (found: ${fields.join(', ') || 'nothing'}). Expected the columns ${DASHBOARD_CSV_COLUMNS.join(', ')}.`,
      );
    }
    const missing = DASHBOARD_CSV_COLUMNS.filter((c) => !fields.includes(c));
    const unknown = fields.filter((f) => !(DASHBOARD_CSV_COLUMNS as readonly string[]).includes(f));
    if (missing.length) this.headerWarnings.push(`missing columns (read as empty): ${missing.join(', ')}`);
    if (unknown.length) this.headerWarnings.push(`unknown columns (ignored): ${unknown.join(', ')}`);
    return undefined;
  }
}
