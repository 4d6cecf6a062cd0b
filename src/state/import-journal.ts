import { closeSync, existsSync, ftruncateSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EtlError } from '../errors.js';
import type { Logger } from '../log.js';
import { ensurePrivateDir, openPrivate } from '../private-fs.js';

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
 * The import journal, `<report>/journal.ndjson` (0600, in a 0700 folder): one line per state change,
 * written with a synchronous `write` as it happens, so a crash or `kill -9` loses at most the line
 * being written. A re-run reads it back: done records are skipped, `pending` ones are looked up in
 * Clerk before anything is sent again. It holds ids, states and error codes, never a source record.
 */
export class ImportJournal {
  private readonly fd: number;
  private readonly last = new Map<string, JournalEntry>();
  readonly file: string;

  /** `name`: the journal's file in the report folder (the users' is `journal.ndjson`; organizations and memberships have their own). */
  constructor(reportDir: string, log?: Logger, name = 'journal.ndjson') {
    ensurePrivateDir(reportDir);
    this.file = path.join(reportDir, name);
    const content = existsSync(this.file) ? readFileSync(this.file) : undefined;
    // Where the complete lines end. A write cut short by a crash or power loss leaves a last line
    // without its newline (or, after power loss, NUL bytes): appending to it would glue the next
    // entry onto the fragment, and the run after would stop at that "unreadable line".
    let keep = content?.length ?? 0;
    if (content?.length) {
      const end = content.lastIndexOf(0x0a) + 1;
      const lines = content.subarray(0, end).toString('utf8').split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        let e = parseEntry(line);
        if (!e) {
          // Versions before this check appended the next entry onto a torn line: keep that entry.
          e = gluedEntry(line);
          if (!e) throw new EtlError('INPUT_INVALID', `The import journal ${this.file} has an unreadable line ${i + 1}; it was changed by hand. Fix or remove that line.`);
          log?.warn('a line of the import journal held a torn write with the next entry glued on; the torn part was ignored', { journal: this.file, line: i + 1 });
        }
        this.last.set(e.source_id, e);
      });
      if (end < content.length) {
        const tail = content.subarray(end).toString('utf8');
        const e = parseEntry(tail);
        if (e) {
          // Complete but for its newline: keep it, and give it the newline below.
          this.last.set(e.source_id, e);
        } else {
          keep = end;
          log?.warn('the import journal ended in a torn line (a write cut short by a crash or power loss); it was removed', {
            journal: this.file,
            line: lines.length,
            bytes: content.length - end,
          });
        }
      }
    }
    try {
      this.fd = openPrivate(this.file, 'a');
      if (content && keep < content.length) ftruncateSync(this.fd, keep);
      else if (content?.length && content[content.length - 1] !== 0x0a) writeSync(this.fd, '\n');
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

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const e = JSON.parse(line) as JournalEntry;
    return e !== null && typeof e === 'object' && typeof e.source_id === 'string' && typeof e.state === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** The whole entry at the end of `line` when its start is a torn write: `{"source_id":"a","st{"source_id":"b",…}`. */
function gluedEntry(line: string): JournalEntry | undefined {
  for (let at = line.indexOf('{"', 1); at > 0; at = line.indexOf('{"', at + 1)) {
    const e = parseEntry(line.slice(at));
    if (e) return e;
  }
  return undefined;
}
