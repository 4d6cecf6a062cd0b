import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { abortError, EtlError } from '../../errors.js';
import type { NdjsonChunk } from '../../model/records.js';
import type { Destination, OutputFile } from '../../load/destination.js';
import type { ManifestFile } from '../../load/export-sink.js';
import type { SourceRecord } from '../../model/records.js';
import type { IdGate } from '../../transform/id-gate.js';
import type { Row } from '../../model/records.js';
import { ALL_TABLES, type TableName } from '../../model/schema.js';
import type { BatchSummary, FromWorker, ToWorker, WorkerConfig } from './protocol.js';

/** Chunks sent to a worker and not yet done: bounds memory (each is about CHUNK_BYTES of input). */
const IN_FLIGHT_PER_WORKER = 2;
/** Input bytes per chunk handed to a worker (about 330 users of 3 KB). */
export const CHUNK_BYTES = 1 << 20;

const TABLE_ORDER = new Map<string, number>(ALL_TABLES.map((t, i) => [t.name as string, i]));

/**
 * Heap limits of each worker, MB (measured on 100k and 1M users, 2 workers; bench/README.md).
 * The young generation: V8's default lets the flattener's short-lived rows reach the old
 * generation (16 MB was ~20 % slower); 32 MB was as fast as 48 or 96 with less memory. The old
 * generation: what a worker holds is bounded by its sink's Parquet buffer
 * (WORKER_PARQUET_BUFFER_BYTES) and two 1 MiB chunks; the cap makes V8 collect instead of growing
 * (without one, RSS was 600 MB instead of 430 MB at 100k), with room for one record of tens of MB.
 * 384, not 256: a valid 50 MB line is held as its bytes, its text, the parsed value, its JSON column
 * text and the encoded page at once, and at 256 the hostile-input test's 50 MB line ran out of heap
 * about one run in three (2026-12-08). A bigger record fails the run naming --workers 0.
 */
const YOUNG_GENERATION_MB = 32;
const OLD_GENERATION_MB = 384;
/**
 * Each worker's sink: what its Parquet files may hold for their next row groups together. 8 MiB:
 * users row groups of ~5,000 rows; 16 MiB was no faster and cost ~60 MB more RSS.
 */
export const WORKER_PARQUET_BUFFER_BYTES = 8 << 20;

/** Workers for `--workers auto`: one per core, at most 4 (the main thread reads and writes). */
export function autoWorkers(): number {
  return Math.min(4, availableParallelism());
}

function workerUrl(): URL {
  const here = new URL(import.meta.url);
  // Running from the TypeScript sources (tests): the worker is the built one.
  if (here.pathname.endsWith('.ts')) return new URL('../../../dist/pipeline/parallel/transform-worker.js', here);
  return new URL('./transform-worker.js', here);
}

/**
 * Transform workers fed with NDJSON chunks. The main thread keeps the one order that matters:
 * ids are gated (first record wins, duplicates rejected) in input order, and batch results
 * (counts, rejects, progress) are folded in input order. Each worker writes its own part files
 * (worker w of n: parts w, w + n, …); their bytes pass through the main thread's destination.
 */
export class TransformPool {
  private readonly workers: Worker[] = [];
  private readonly files = new Map<string, { file: OutputFile; last: Promise<unknown> }>();
  private readonly inFlight: number[];
  private readonly ids = new Map<number, Extract<FromWorker, { type: 'ids' }>>();
  private readonly done = new Map<number, BatchSummary>();
  private readonly replies = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextGate = 0;
  private nextDone = 0;
  private nextReq = 0;
  private failure?: Error;
  private wakeUp?: () => void;
  private doneChain: Promise<void> = Promise.resolve();
  private readonly onAbort: () => void;
  private closed = false;
  private gate?: IdGate;
  private seq = 0;
  private onBatch?: (b: BatchSummary) => Promise<void>;

  constructor(
    private readonly config: Omit<WorkerConfig, 'index' | 'count'> & { count: number },
    private readonly destination: Destination,
    private readonly signal: AbortSignal,
  ) {
    this.inFlight = new Array<number>(config.count).fill(0);
    for (let index = 0; index < config.count; index++) {
      const w = new Worker(workerUrl(), {
        workerData: { ...config, index } satisfies WorkerConfig,
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: OLD_GENERATION_MB },
      });
      w.on('message', (m: FromWorker) => this.onMessage(index, m));
      w.on('error', (err) => {
        const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        const why = oom ? `ran out of memory (its heap is capped at ${OLD_GENERATION_MB} MB; run with --workers 0 to transform in the main thread without the cap)` : `failed: ${err.message}`;
        this.fail(new EtlError('INTERNAL', `Transform worker ${index} ${why}.`, { cause: err }));
      });
      w.on('exit', (code) => {
        if (!this.failure && !this.closed) this.fail(new EtlError('INTERNAL', `Transform worker ${index} stopped unexpectedly (exit code ${code}).`));
      });
      this.workers.push(w);
    }
    this.onAbort = () => this.fail(abortError(signal));
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Feed every chunk through the workers; `onBatch` gets each batch's summary in input order
   * (and is awaited: its rejects are written by the caller). Resolves when all are done.
   */
  async run(chunks: AsyncIterable<NdjsonChunk>, gate: IdGate, onBatch: (b: BatchSummary) => Promise<void>): Promise<void> {
    this.gate = gate;
    this.onBatch = onBatch;
    for await (const chunk of chunks) {
      const seq = await this.slot();
      this.post(seq % this.workers.length, { type: 'chunk', seq, buf: chunk.buf, firstLine: chunk.firstLine });
    }
    await this.drain();
  }

  /**
   * The same for batches a source has parsed already (the Clerk API): the gate decides here,
   * the workers validate, flatten and write. The main thread stays free for requests.
   */
  async runRecords(batches: AsyncIterable<SourceRecord[]>, gate: IdGate, onBatch: (b: BatchSummary) => Promise<void>): Promise<void> {
    this.onBatch = onBatch;
    for await (const records of batches) {
      const { ids, gates } = gate.gateRecords(records);
      const seq = await this.slot();
      this.post(seq % this.workers.length, { type: 'records', seq, records, ids, gates });
    }
    await this.drain();
  }

  /** The next sequence number, once its worker has room. */
  private async slot(): Promise<number> {
    this.check();
    const seq = this.seq;
    const w = seq % this.workers.length;
    while (this.inFlight[w]! >= IN_FLIGHT_PER_WORKER) await this.changed();
    this.inFlight[w]!++;
    this.seq++;
    return seq;
  }

  private async drain(): Promise<void> {
    while (this.nextDone < this.seq) await this.changed();
    await this.doneChain;
    this.check();
  }

  /** Rows produced outside the workers (user_deletions): written by worker 0. */
  async writeRows(table: TableName, rows: Row[]): Promise<void> {
    const req = ++this.nextReq;
    await this.call(0, { type: 'rows', req, table, rows }, req);
  }

  /** Close every worker's files; returns them in the order a single-threaded run lists them. */
  async finish(): Promise<ManifestFile[]> {
    const lists = await Promise.all(
      this.workers.map((_, w) => {
        const req = ++this.nextReq;
        return this.call(w, { type: 'finish', req }, req) as Promise<ManifestFile[]>;
      }),
    );
    await this.close();
    const formats = this.config.formats;
    const key = (f: ManifestFile): number[] => [f.format === 'raw' ? 1 : 0, f.format === 'rejects' ? -1 : formats.indexOf(f.format), TABLE_ORDER.get(f.table) ?? 99, f.part];
    return lists.flat().sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
      return 0;
    });
  }

  /** Stop the workers (after finish, or on failure). */
  async close(): Promise<void> {
    this.closed = true;
    this.signal.removeEventListener('abort', this.onAbort);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private post(w: number, msg: ToWorker): void {
    this.workers[w]!.postMessage(msg);
  }

  private call(w: number, msg: ToWorker, req: number): Promise<unknown> {
    this.check();
    return new Promise((resolve, reject) => {
      this.replies.set(req, { resolve, reject });
      this.post(w, msg);
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private changed(): Promise<void> {
    this.check();
    return new Promise<void>((resolve) => (this.wakeUp = resolve));
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private fail(err: Error): void {
    if (this.failure || this.closed) return;
    this.failure = err;
    for (const r of this.replies.values()) r.reject(err);
    this.replies.clear();
    this.wake();
    void this.close();
  }

  private onMessage(w: number, m: FromWorker): void {
    if (this.failure) return;
    switch (m.type) {
      case 'ids':
        this.ids.set(m.seq, m);
        // Gate in input order: a chunk's ids are decided only after every earlier chunk's.
        for (let next = this.ids.get(this.nextGate); next; next = this.ids.get(this.nextGate)) {
          this.ids.delete(this.nextGate);
          const gates = this.gate!.decideBatch(next);
          this.post(this.nextGate % this.workers.length, { type: 'gates', seq: this.nextGate, gates });
          this.nextGate++;
        }
        break;
      case 'done': {
        const { type: _, ...summary } = m;
        this.done.set(m.seq, summary);
        this.inFlight[w]!--;
        for (let next = this.done.get(this.nextDone); next; next = this.done.get(this.nextDone)) {
          this.done.delete(this.nextDone);
          this.nextDone++;
          const b = next;
          this.doneChain = this.doneChain.then(() => this.onBatch!(b)).catch((err: unknown) => this.fail(err as Error));
        }
        this.wake();
        break;
      }
      case 'open':
        this.files.set(`${w}:${m.file}`, { file: this.destination.createFile(m.path, m.options), last: Promise.resolve() });
        break;
      case 'write':
      case 'close': {
        // One operation at a time per file, in the order the worker sent them.
        const key = `${w}:${m.file}`;
        const f = this.files.get(key)!;
        const op = m.type === 'write' ? f.last.then(() => f.file.write(m.chunk)) : f.last.then(() => f.file.close());
        f.last = op.then(() => undefined, () => undefined);
        if (m.type === 'close') this.files.delete(key);
        this.answer(w, m.req, op);
        break;
      }
      case 'reply': {
        const r = this.replies.get(m.req);
        this.replies.delete(m.req);
        if (m.error !== undefined) r?.reject(new EtlError('INTERNAL', m.error));
        else r?.resolve(m.value);
        break;
      }
      case 'error':
        this.fail(new EtlError('INTERNAL', `Transform worker ${w} failed: ${m.message}`));
        break;
    }
  }

  /** Reply to a worker's file request; a destination error fails the run (it is already an EtlError). */
  private answer(w: number, req: number, p: Promise<unknown>): void {
    p.then(
      (value) => {
        if (!this.failure) this.post(w, { type: 'reply', req, value });
      },
      (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
