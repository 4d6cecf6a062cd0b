import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EtlError } from '../errors.js';

/** What happened to one source record. `pending` = a create was sent and its outcome is not known yet. */
export type JournalState = 'pending' | 'created' | 'updated' | 'exists' | 'failed';

export interface JournalEntry {
  source_id: string;
  state: JournalState;
  clerk_id?: string | null;
  /** Where the record was in the source (`line 12`, `row 3`). */
  where?: string;
  /** For failures: Clerk's error code or ours. */
  code?: string;
  /** `recovered`: an ambiguous create turned out to have succeeded (found by external_id). */
  note?: string;
  /** Source fields Clerk could not take (created/updated records). */
  not_imported?: string[];
  at: string;
}

/** States after which a re-run skips the record. */
export const DONE_STATES: ReadonlySet<JournalState> = new Set(['created', 'updated', 'exists']);

/**
 * The import journal, `<report>/journal.ndjson`: one line per state change, written with a
 * synchronous `write` as it happens, so a crash or `kill -9` loses at most the line being written
 * (a torn last line is ignored on reading). A re-run reads it back: done records are skipped,
 * `pending` ones are looked up in Clerk before anything is sent again.
 */
export class ImportJournal {
  private readonly fd: number;
  private readonly last = new Map<string, JournalEntry>();
  readonly file: string;

  constructor(reportDir: string) {
    mkdirSync(reportDir, { recursive: true });
    this.file = path.join(reportDir, 'journal.ndjson');
    if (existsSync(this.file)) {
      const lines = readFileSync(this.file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        try {
          const e = JSON.parse(line) as JournalEntry;
          if (typeof e.source_id === 'string' && typeof e.state === 'string') this.last.set(e.source_id, e);
        } catch {
          // Only the last line can be torn by a kill; anything else means the file was edited.
          if (i < lines.length - 2) throw new EtlError('INPUT_INVALID', `The import journal ${this.file} has an unreadable line ${i + 1}; it was changed by hand. Fix or remove that line.`);
        }
      });
    }
    try {
      this.fd = openSync(this.file, 'a');
    } catch (err) {
      throw new EtlError('SINK_WRITE', `Cannot write the import journal ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The last state recorded for a source id. */
  get(sourceId: string): JournalEntry | undefined {
    return this.last.get(sourceId);
  }

  get size(): number {
    return this.last.size;
  }

  entries(): IterableIterator<JournalEntry> {
    return this.last.values();
  }

  record(entry: Omit<JournalEntry, 'at'>): JournalEntry {
    const full: JournalEntry = { ...entry, at: new Date().toISOString() };
    writeSync(this.fd, JSON.stringify(full) + '\n');
    this.last.set(full.source_id, full);
    return full;
  }

  close(): void {
    closeSync(this.fd);
  }
}
