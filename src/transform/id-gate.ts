import type { SourceRecord } from '../model/records.js';
import { IdSet } from '../model/id-set.js';

/** What the id gate decided for a record. */
export const Gate = {
  /** Transform it. */
  Take: 0,
  /** Drop it quietly: a repeat from a paging source, or already written by the previous run. */
  Skip: 1,
  /** Reject it: an earlier record of this input had the same id. */
  Duplicate: 2,
} as const;
export type Gate = (typeof Gate)[keyof typeof Gate];

/** The fields of the export counts the gate keeps. */
export interface GateCounts {
  read: number;
  repeats_dropped: number;
  already_exported: number;
}

/**
 * What the gate reads of a batch's records, in order: each id, and each updated_at when the gate
 * compares it ({@link IdGate.needsUpdatedAt}). A transform worker parses its chunk and sends these
 * to the main thread, the one place the gate runs.
 */
export interface GateKeys {
  ids: Array<string | null>;
  updated?: unknown[];
}

/** The id of a parsed record, when it is an object with a string id. */
export function idOf(v: unknown): string | null {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const id = (v as Record<string, unknown>).id;
    if (typeof id === 'string') return id;
  }
  return null;
}

/** The updated_at of a parsed record (whatever it is; the gate compares it). */
export function updatedAtOf(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>).updated_at : undefined;
}

/** The gate's keys of a batch of parsed records; updated_at only when `withUpdatedAt`. */
export function gateKeys(records: readonly SourceRecord[], withUpdatedAt: boolean): GateKeys {
  const ids = records.map((r) => idOf(r.value));
  return withUpdatedAt ? { ids, updated: records.map((r) => updatedAtOf(r.value)) } : { ids };
}

/**
 * Decides, in input order, whether each record is read, dropped as a repeat, or a duplicate:
 * the first record with an id wins. It owns the run's set of seen ids, so it stays on one thread
 * (the main one) even when transforming is spread over workers: "first" needs one order. Every
 * path of the export (the main thread's loop, the workers' chunks, parsed batches sent to the
 * workers) decides through {@link decideBatch} or {@link gateRecords}.
 */
export class IdGate {
  readonly seen = new IdSet();
  constructor(
    private readonly counts: GateCounts,
    /** A paging source may return a user twice (dropped quietly); a file may not (a duplicate is rejected). */
    private readonly mayRepeat: boolean,
    /** (id → updated_at) the previous run already wrote: skipped when met again unchanged. */
    private readonly alreadyExported?: ReadonlyMap<string, number>,
  ) {}

  /** Whether the decision reads updated_at (only to recognise what the previous run already wrote). */
  get needsUpdatedAt(): boolean {
    return this.alreadyExported !== undefined;
  }

  /** One record's decision; counts it. Records must come in input order. */
  decide(id: string | null, updatedAt: unknown): Gate {
    if (id === null) {
      this.counts.read++;
      return Gate.Take;
    }
    if (this.alreadyExported && this.alreadyExported.get(id) === updatedAt && !this.seen.has(id)) {
      this.seen.add(id);
      this.counts.already_exported++;
      return Gate.Skip;
    }
    if (!this.seen.insert(id)) {
      if (this.mayRepeat) {
        this.counts.repeats_dropped++;
        return Gate.Skip;
      }
      this.counts.read++;
      return Gate.Duplicate;
    }
    this.counts.read++;
    return Gate.Take;
  }

  /** The decisions for a batch's keys, in order (one byte per record: a {@link Gate}). */
  decideBatch(keys: GateKeys): Uint8Array {
    const { ids, updated } = keys;
    const gates = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) gates[i] = this.decide(ids[i]!, updated?.[i]);
    return gates;
  }

  /** A batch of parsed records: their ids and the decisions. */
  gateRecords(records: readonly SourceRecord[]): { ids: Array<string | null>; gates: Uint8Array } {
    const keys = gateKeys(records, this.needsUpdatedAt);
    return { ids: keys.ids, gates: this.decideBatch(keys) };
  }
}
