/**
 * A transform worker: parses NDJSON chunks, asks the main thread which records to take (the id
 * gate keeps one order), validates and flattens them, and writes its own part files of every
 * table and format. File bytes go to the main thread, which owns the destination.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseNdjsonChunk } from '../../extract/ndjson.js';
import type { SourceRecord } from '../../model/records.js';
import type { FileOptions, OutputFile, WrittenFile } from '../../load/destination.js';
import { ExportSink, type ManifestFile } from '../../load/export-sink.js';
import { transformBatch } from '../../transform/batch.js';
import { gateKeys } from '../../transform/id-gate.js';
import { CompiledPolicy } from '../../transform/pii-policy.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';

const port = parentPort!;
const cfg = workerData as WorkerConfig;

const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextReq = 0;
function post(msg: FromWorker): void {
  port.postMessage(msg);
}
function request<T>(msg: FromWorker & { req: number }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pending.set(msg.req, { resolve: resolve as (v: unknown) => void, reject });
    post(msg);
  });
}

/** Bytes sent to the main thread and not yet written there: up to this many, writes do not wait. */
const MAX_UNWRITTEN = 8 << 20;
let unwritten = 0;
let whenWritten: (() => void) | undefined;

/**
 * A file of the main thread's destination. Writes are pipelined: one waits only while more than
 * MAX_UNWRITTEN bytes are on their way (a failed write fails the whole run in the main thread).
 */
class ProxyFile implements OutputFile {
  bytes = 0;
  constructor(
    readonly path: string,
    private readonly id: number,
  ) {}
  async write(chunk: Uint8Array | string): Promise<void> {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    this.bytes += n;
    unwritten += n;
    const written = (): void => {
      unwritten -= n;
      if (unwritten <= MAX_UNWRITTEN && whenWritten) {
        const w = whenWritten;
        whenWritten = undefined;
        w();
      }
    };
    // A failed write fails the run in the main thread, which then stops this worker.
    void request({ type: 'write', req: ++nextReq, file: this.id, chunk }).then(written, written);
    while (unwritten > MAX_UNWRITTEN) await new Promise<void>((resolve) => (whenWritten = resolve));
  }
  close(): Promise<WrittenFile> {
    return request({ type: 'close', req: ++nextReq, file: this.id });
  }
}

let nextFile = 0;
const destination = {
  createFile(path: string, options?: FileOptions): OutputFile {
    const id = nextFile++;
    post({ type: 'open', file: id, path, options });
    return new ProxyFile(path, id);
  },
};

const policy = cfg.policy ? new CompiledPolicy(cfg.policy, process.env) : undefined;
const sink = new ExportSink({
  destination,
  runId: cfg.runId,
  dt: cfg.dt,
  formats: cfg.formats,
  parquet: cfg.parquet,
  ...cfg.layout,
  policy,
  parts: { first: cfg.index, step: cfg.count },
  parquetBufferBytes: cfg.parquetBufferBytes,
});

/** Parsed chunks waiting for the gate's answer. */
const parsed = new Map<number, { records: SourceRecord[]; ids: Array<string | null> }>();
/** Batches are transformed and written one after another, in the order the gates arrive. */
let chain: Promise<void> = Promise.resolve();
function then(step: () => Promise<void>): void {
  chain = chain.then(step).catch((err: unknown) => {
    const e = err as Error;
    post({ type: 'error', message: e?.message ?? String(err), stack: e?.stack });
  });
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'chunk': {
      // Parsed as soon as it arrives, while earlier batches are being written.
      const records: SourceRecord[] = [];
      parseNdjsonChunk({ buf: Buffer.from(msg.buf.buffer, msg.buf.byteOffset, msg.buf.byteLength), firstLine: msg.firstLine }, records);
      const keys = gateKeys(records, cfg.needUpdatedAt);
      parsed.set(msg.seq, { records, ids: keys.ids });
      post({ type: 'ids', seq: msg.seq, ...keys });
      break;
    }
    case 'gates':
    case 'records':
      then(async () => {
        let records: SourceRecord[];
        let ids: Array<string | null>;
        if (msg.type === 'records') ({ records, ids } = msg);
        else {
          ({ records, ids } = parsed.get(msg.seq)!);
          parsed.delete(msg.seq);
        }
        const out = transformBatch(records, ids, msg.gates, cfg.batch, policy);
        await sink.write(out.rows, out.rawLines, []);
        post({
          type: 'done',
          seq: msg.seq,
          records: records.length,
          rows: [...out.rows].map(([t, r]) => [t, r.length]),
          written: out.written,
          drifted: out.drifted,
          drift: [...out.drift],
          recent: out.recent,
          rejected: out.rejected,
        });
      });
      break;
    case 'rows':
      // Rows made on the main thread (user_deletions), which applied the policy to them.
      then(async () => {
        await sink.write(new Map([[msg.table, msg.rows]]), [], []);
        post({ type: 'reply', req: msg.req });
      });
      break;
    case 'finish':
      then(async () => {
        const files: ManifestFile[] = await sink.finish();
        post({ type: 'reply', req: msg.req, value: files });
      });
      break;
    case 'reply': {
      const p = pending.get(msg.req);
      if (!p) break;
      pending.delete(msg.req);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.value);
      break;
    }
  }
});
