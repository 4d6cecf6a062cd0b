import type { RunContext, SourceRecord, NdjsonChunk } from '../model/records.js';

/** A source of users, read in batches (pages). Pull-based: the next batch is read when asked for. */
export interface Source {
  /** Description for the manifest: kind, and where from (never a secret). */
  readonly description: Record<string, unknown>;
  /** Whether the source may legitimately repeat a user (API windows) — duplicates are then dropped quietly. */
  readonly mayRepeat: boolean;
  /**
   * Whether a run that writes no user from this source fails rather than publishing an empty
   * snapshot: a file with no valid user is an empty or wrong file. Not the API: an instance with
   * no user is a true snapshot.
   */
  readonly requiresUsers?: boolean;
  /** Expected number of users, when the source can tell in advance (progress, reconciliation). */
  total(ctx: RunContext): Promise<number | undefined>;
  read(ctx: RunContext): AsyncIterable<SourceRecord[]>;
  /**
   * The input as runs of whole NDJSON lines of about `minBytes`, for transform workers to parse;
   * undefined when the source is not NDJSON (then `read` is used).
   */
  ndjsonChunks?(ctx: RunContext, minBytes: number): Promise<AsyncIterable<NdjsonChunk> | undefined>;
}

