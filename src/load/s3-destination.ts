import { PassThrough } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { EtlError } from '../errors.js';
import { resolveRetryPolicy, retry } from '../retry.js';
import { S3ObjectStore } from '../state/object-store.js';
import { createS3Client, describe, isNotImplemented, objectParams, parseS3Url, s3Error, type S3Options } from '../state/s3-client.js';
import type { Logger } from '../log.js';
import {
  HashingCounter,
  writtenFileOf,
  waitForDrain,
  type Destination,
  type FileOptions,
  type OutputFile,
  type SmallObject,
  type WriteCondition,
  type WrittenFile,
} from './destination.js';
import { abandonedBecause, JournalWriter, journalPath, parseJournal, PENDING_DIR, runIdOfJournal } from './publish-journal.js';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 1;

interface InFlight {
  key: string;
  pass: PassThrough;
  done: Promise<void>;
}

/**
 * An S3 prefix. Every file streams to S3 as it is written (lib-storage `Upload`: one PutObject for
 * a file smaller than a part, multipart above), never assembled whole in memory or on disk.
 * Objects land at their final keys; the run becomes visible to manifest readers only when the
 * manifest is written, last. On failure or abort, uploads in flight are aborted (no orphaned
 * multipart uploads), objects the run already uploaded are deleted, and no manifest is written.
 * Each upload starts only once the publish journal (`_pending/<run_id>.json`) names its key, so
 * the objects of a run killed with SIGKILL are found and deleted by the next run.
 */
export class S3Destination implements Destination {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  /** Its small objects (manifest, publish journal, probe). */
  private readonly objects: S3ObjectStore;
  /** The client of the discard, without the SDK's retries: the discard's own loop is the only one. */
  private cleanupClient?: S3Client;
  private readonly inflight = new Set<InFlight>();
  private readonly uploaded: string[] = [];
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly journal: JournalWriter;

  constructor(
    url: string,
    private readonly runId: string,
    private readonly options: S3Options = {},
    private readonly log?: Logger,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    this.url = `s3://${this.bucket}${this.prefix ? '/' + this.prefix : ''}`;
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? DEFAULT_PART_SIZE);
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.client = createS3Client(options);
    this.objects = new S3ObjectStore(this.client, this.bucket, this.prefix, options);
    this.journal = new JournalWriter(
      runId,
      (content) => this.writeSmall(journalPath(runId), content).then(() => undefined),
      () => this.deleteSmall(journalPath(runId)),
    );
  }

  /** Write the journal naming this run (no object yet). */
  async begin(): Promise<void> {
    await this.journal.add();
  }

  key(relPath: string): string {
    return this.prefix ? `${this.prefix}/${relPath}` : relPath;
  }

  createFile(relPath: string, options: FileOptions = {}): OutputFile {
    const key = this.key(relPath);
    const pass = new PassThrough({ highWaterMark: 1 << 20 });
    const upload = new Upload({
      client: this.client,
      params: { ...objectParams(this.options, this.bucket, key, options.contentType), Body: pass },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // On failure lib-storage aborts the multipart upload itself.
      leavePartsOnError: false,
    });
    const counter = new HashingCounter();
    let failure: unknown;
    // The key is in the journal before the upload starts (bytes written meanwhile wait in `pass`).
    const done = this.journal.add(relPath).then(() => upload.done()).then(
      () => undefined,
      (err: unknown) => {
        failure ??= err;
        // Wake a writer waiting for 'drain' on a stream nobody reads any more.
        pass.destroy();
        throw err;
      },
    );
    done.catch(() => undefined); // observed in write/close/discard
    const entry: InFlight = { key, pass, done };
    this.inflight.add(entry);
    const fail = (): never => {
      throw s3Error('upload', this.bucket, key, failure);
    };
    return {
      path: relPath,
      get bytes() {
        return counter.bytes;
      },
      write: async (chunk) => {
        if (failure) fail();
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (buf.byteLength === 0) return;
        counter.update(buf);
        if (!pass.write(buf)) await waitForDrain(pass);
        if (failure) fail();
      },
      close: async (): Promise<WrittenFile> => {
        if (failure) fail();
        pass.end();
        try {
          await done;
        } catch {
          fail();
        }
        this.inflight.delete(entry);
        this.uploaded.push(key);
        return { path: relPath, bytes: counter.bytes, sha256: counter.digest() };
      },
    };
  }

  /** Objects are uploaded to their final keys as each file closes: nothing left to do. */
  async publish(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.inflight.size) throw new EtlError('INTERNAL', `${this.inflight.size} uploads still open at publish.`);
  }

  /** Writes the manifest, the run's last write; then the publish journal has served. */
  async writeSmallFile(relPath: string, content: string): Promise<WrittenFile> {
    await this.writeSmall(relPath, content);
    await this.journal.clear();
    return writtenFileOf(relPath, content);
  }

  /**
   * Abort every upload in flight (lib-storage aborts its multipart upload when its body stream
   * fails), delete the objects the run uploaded, then abort any multipart upload of this run that
   * is still listed (a request that was in flight, or a server that was down a moment ago).
   */
  async discard(): Promise<void> {
    const pending = [...this.inflight];
    this.inflight.clear();
    for (const f of pending) f.pass.destroy(new Error('run aborted'));
    await Promise.race([Promise.allSettled(pending.map((f) => f.done)), new Promise((r) => setTimeout(r, 15_000).unref())]);
    // The store may be down for a moment (that may be why the run failed): try a few times, 1, 2
    // and 4 s apart. Through a client without the SDK's own retries: this loop is the only one.
    try {
      await retry(
        async () => {
          const problems = await this.removeRun();
          if (problems.length) throw new RunNotRemoved(problems);
        },
        { policy: DISCARD_RETRY, decide: (_err, attempt) => ({ waitMs: 1000 * 2 ** (attempt - 1) }) },
      );
    } catch (err) {
      const problems = err instanceof RunNotRemoved ? err.problems : [describe(err)];
      throw new EtlError(
        'SINK_WRITE',
        `Could not fully remove the failed run ${this.runId} from ${this.url} (${problems.length} problems, first: ${problems[0]}). No manifest was written, so manifest readers are not affected; the next run to this destination deletes what its publish journal (${PENDING_DIR}/${this.runId}.json) lists and aborts multipart uploads left behind, and an S3 lifecycle rule (AbortIncompleteMultipartUpload) is a good safety net.`,
      );
    }
    // Only now: while objects may remain, the journal lets the next run delete them.
    await this.journal.clear();
  }

  /** Delete the run's uploaded objects and abort its open multipart uploads; returns what failed. */
  private async removeRun(): Promise<string[]> {
    const client = (this.cleanupClient ??= createS3Client({ ...this.options, maxAttempts: 1 }));
    const problems: string[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < this.uploaded.length; i += 1000) {
      const keys = this.uploaded.slice(i, i + 1000);
      try {
        const res = await client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        for (const e of res.Errors ?? []) {
          problems.push(`delete ${e.Key}: ${e.Code ?? ''} ${e.Message ?? ''}`);
          if (e.Key) remaining.push(e.Key);
        }
      } catch (err) {
        // Some S3-compatible stores lack DeleteObjects: one by one.
        for (const Key of keys) {
          await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch((e: unknown) => {
            problems.push(`delete ${Key}: ${describe(e ?? err)}`);
            remaining.push(Key);
          });
        }
      }
    }
    this.log?.debug('removed the failed run\'s objects', { deleted: this.uploaded.length - remaining.length, remaining: remaining.length });
    this.uploaded.splice(0, this.uploaded.length, ...remaining);
    try {
      const aborted = await this.abortMultipartUploads((key) => key.includes(`/${this.runId}-`) || key.includes(`/${this.runId}.`), undefined, client);
      if (aborted) this.log?.debug('aborted leftover multipart uploads of the failed run', { count: aborted });
    } catch (err) {
      if (!isNotImplemented(err)) problems.push(`list multipart uploads: ${describe(err)}`);
    }
    return problems;
  }

  /**
   * Abort multipart uploads under the prefix that `match` selects (by key) and that were started
   * before `startedBefore`. Returns how many were aborted.
   */
  async abortMultipartUploads(match: (key: string) => boolean, startedBefore?: Date, client: S3Client = this.client): Promise<number> {
    let aborted = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const res = await client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix ? this.prefix + '/' : undefined, KeyMarker, UploadIdMarker }),
      );
      for (const u of res.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !match(u.Key)) continue;
        if (startedBefore && u.Initiated && u.Initiated > startedBefore) continue;
        await client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
        aborted++;
      }
      if (!res.IsTruncated) return aborted;
      KeyMarker = res.NextKeyMarker;
      UploadIdMarker = res.NextUploadIdMarker;
    }
  }

  /**
   * Abort multipart uploads of other runs of this tool (keys named `<run_id>-<part>`) older than
   * `graceMs`: what a killed run (SIGKILL, lost machine) left behind. Never touches this run's.
   */
  async sweepOrphanedUploads(graceMs: number): Promise<number> {
    try {
      const before = new Date(Date.now() - graceMs);
      const n = await this.abortMultipartUploads((key) => RUN_FILE.test(key) && !key.includes(`/${this.runId}`), before);
      if (n) this.log?.warn('aborted multipart uploads left behind by earlier runs that did not finish', { count: n, older_than_ms: graceMs });
      return n;
    } catch (err) {
      if (isNotImplemented(err)) return 0;
      throw s3Error('list multipart uploads', this.bucket, this.prefix, err);
    }
  }

  /**
   * Delete what earlier runs killed before their manifest left (see LocalDestination's
   * sweepAbandonedRuns: the same rules): the objects their publish journals list, their multipart
   * uploads, and the journals. A journal whose manifest exists only loses the journal.
   */
  async sweepAbandonedRuns(graceMs: number): Promise<{ runs: number; files: number }> {
    const out = { runs: 0, files: 0 };
    const pending = this.key(PENDING_DIR) + '/';
    let token: string | undefined;
    const names: string[] = [];
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: pending, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) names.push(o.Key.slice(pending.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    for (const name of names) {
      const runId = runIdOfJournal(name);
      if (!runId || runId === this.runId) continue;
      const obj = await this.readSmall(journalPath(runId));
      const j = obj ? parseJournal(obj.content) : null;
      if (!j || j.run_id !== runId) continue;
      if (await this.readSmall(`_manifests/${runId}.json`)) {
        await this.deleteSmall(journalPath(runId));
        continue;
      }
      const why = abandonedBecause(j, graceMs);
      if (!why) continue;
      const keys = j.files.map((f) => this.key(f));
      let removed = 0;
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        try {
          const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
          if (res.Errors?.length) throw s3Error('delete', this.bucket, res.Errors[0]!.Key ?? '', new Error(`${res.Errors[0]!.Code ?? ''} ${res.Errors[0]!.Message ?? ''}`));
        } catch (err) {
          if (err instanceof EtlError) throw err;
          // Some S3-compatible stores lack DeleteObjects: one by one.
          for (const Key of batch) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
        }
        removed += batch.length;
      }
      await this.abortMultipartUploads((key) => key.includes(`/${runId}-`) || key.includes(`/${runId}.`)).catch((err: unknown) => {
        if (!isNotImplemented(err)) throw err;
      });
      await this.deleteSmall(journalPath(runId));
      this.log?.warn('swept the output of an earlier run that was killed before its manifest', { run_id: runId, host: j.host, pid: j.pid, reason: why, objects_deleted: removed });
      out.runs++;
      out.files += removed;
    }
    return out;
  }

  /**
   * Fail fast, before hours of reading from Clerk: write and delete a small object, so a wrong
   * bucket, region, endpoint or missing permission shows at the start of the run.
   */
  async probe(): Promise<void> {
    const rel = `_manifests/_probe-${this.runId}`;
    await this.writeSmall(rel, 'clerk-etl write probe\n');
    await this.deleteSmall(rel).catch((err: unknown) =>
      this.log?.warn('cannot delete objects under the prefix: a failed run would leave its files behind', { error: err instanceof Error ? err.message : String(err) }),
    );
  }

  readSmall(relPath: string): Promise<SmallObject | null> {
    return this.objects.readSmall(relPath);
  }

  writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean> {
    return this.objects.writeSmall(relPath, content, condition);
  }

  deleteSmall(relPath: string): Promise<void> {
    return this.objects.deleteSmall(relPath);
  }
}

/** Keys of this tool's data files: `…/<run_id>-<part>.<ext>`. */
const RUN_FILE = /\/\d{8}T\d{9}Z-[0-9a-f]{6}-\d{5}\.[a-z.]+$/;

/** The discard's retry: 4 attempts (waits of 1, 2 and 4 s, given by its `decide`). */
const DISCARD_RETRY = resolveRetryPolicy({ maxAttempts: 4 });

/** What one attempt to remove a failed run left undone. */
class RunNotRemoved extends Error {
  constructor(readonly problems: string[]) {
    super(problems[0]);
  }
}
