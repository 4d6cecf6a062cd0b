import { hostname } from 'node:os';
import { processAlive } from '../state/lock.js';

/**
 * The publish journal of a run: `<dest>/_pending/<run_id>.json`. It names the run's owner (host,
 * pid) and every file the run may have put at its final place, and is written before any of them
 * gets there (locally before the first rename of publish, on S3 before each upload starts). It is
 * removed once the manifest is written, or by the run's own cleanup. A journal without a manifest
 * whose owner is gone is what a SIGKILL or power loss left: the next run deletes the files it lists.
 */
export interface PublishJournal {
  journal_version: 1;
  run_id: string;
  host: string;
  pid: number;
  started_at: string;
  /** Last write of the journal: the age the orphan grace is measured from. */
  updated_at: string;
  /** Paths relative to the destination root (`/`-separated), as in the manifest. */
  files: string[];
}

export const PENDING_DIR = '_pending';

/** Run ids (`20261129T051237123Z-a1b2c3`): the only names the sweeps ever touch. */
export const RUN_ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export function journalPath(runId: string): string {
  return `${PENDING_DIR}/${runId}.json`;
}

/** The run id of a `_pending/` entry name, or null for anything else (temp files, strangers). */
export function runIdOfJournal(name: string): string | null {
  const m = /^(.+)\.json$/.exec(name);
  return m && RUN_ID.test(m[1]!) ? m[1]! : null;
}

/**
 * Why a journal's run is over, or null while it may still run. Proven over: same host and its
 * process no longer exists (swept at once). Otherwise (another host, or one that cannot be asked)
 * only when the journal was last written more than `graceMs` ago. A live process of this host is
 * never swept (a reused pid keeps a leftover until that process ends: safe side).
 */
export function abandonedBecause(j: PublishJournal, graceMs: number, now = Date.now()): 'process gone' | 'older than the grace' | null {
  if (j.host === hostname()) return processAlive(j.pid) ? null : 'process gone';
  const age = now - Date.parse(j.updated_at);
  return Number.isFinite(age) && age >= graceMs ? 'older than the grace' : null;
}

/** Read a journal's text; null when it is not one of ours (then it is left alone). */
export function parseJournal(text: string): PublishJournal | null {
  try {
    const j = JSON.parse(text) as PublishJournal;
    if (j?.journal_version !== 1 || typeof j.run_id !== 'string' || !Array.isArray(j.files) || typeof j.pid !== 'number') return null;
    // Only relative paths inside the destination: a damaged journal must not delete elsewhere.
    if (!j.files.every((f) => typeof f === 'string' && f.length > 0 && !f.startsWith('/') && !f.split('/').includes('..'))) return null;
    return j;
  } catch {
    return null;
  }
}

/**
 * Keeps one run's journal up to date. Writes are serialised; paths added while a write waits join
 * it, so a run that opens 30 files at once costs a couple of writes, not 30.
 */
export class JournalWriter {
  private readonly files: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private next?: Promise<void>;
  private written = false;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly runId: string,
    private readonly save: (content: string) => Promise<void>,
    private readonly remove: () => Promise<void>,
  ) {}

  /** Resolves once a journal naming `paths` is stored. */
  add(...paths: string[]): Promise<void> {
    this.files.push(...paths);
    if (this.next) return this.next;
    const next = this.chain.then(() => {
      this.next = undefined;
      const j: PublishJournal = { journal_version: 1, run_id: this.runId, host: hostname(), pid: process.pid, started_at: this.startedAt, updated_at: new Date().toISOString(), files: [...this.files] };
      return this.save(JSON.stringify(j, null, 1) + '\n').then(() => {
        this.written = true;
      });
    });
    this.next = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The run is complete (manifest written) or cleaned up: forget it. */
  async clear(): Promise<void> {
    await this.chain;
    if (this.written) await this.remove();
    this.written = false;
  }
}
