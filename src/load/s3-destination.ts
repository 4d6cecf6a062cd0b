import { PassThrough } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { EtlError, redactUrl } from '../errors.js';
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

/**
 * Options of the S3 destination. Region, credentials and endpoint come from the AWS SDK's standard
 * configuration (AWS_REGION, the default credential chain, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)
 * unless given here.
 */
export interface S3Options {
  region?: string;
  /** An S3-compatible endpoint (MinIO, Ceph, R2), e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Server-side encryption: `AES256` or `aws:kms` (with {@link kmsKeyId}). */
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** e.g. `STANDARD_IA`, `INTELLIGENT_TIERING`. Default: the bucket's default (STANDARD). */
  storageClass?: string;
  /**
   * Multipart part size in bytes (≥ 5 MiB, S3's minimum). Memory: every open file buffers up to
   * `partSize × (queueSize + 1)` while it uploads; a run has one open file per table and format.
   * Default 8 MiB.
   */
  partSize?: number;
  /** Parts of one file uploaded at the same time. Default 1: a run already uploads one file per table and format in parallel. */
  queueSize?: number;
  /**
   * `when_supported` (the SDK default, right for AWS and moto) or `when_required` for servers
   * that mishandle streamed checksums (s3rver stores aws-chunked framing otherwise: docs/dependencies.md, "AWS SDK and S3-compatible servers").
   */
  checksums?: 'when_supported' | 'when_required';
  /** Attempts per S3 request (the SDK retries 5xx, throttling and network errors). Default 4. */
  maxAttempts?: number;
  /** Timeout of one S3 request in ms (no response at all). Default 120 000. */
  requestTimeoutMs?: number;
}

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 1;

/** `s3://bucket/prefix/` → bucket and prefix (no leading or trailing `/`). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new EtlError('USAGE', `Not an S3 URL: "${redactUrl(url)}". Use s3://bucket or s3://bucket/prefix.`);
  // Credentials never travel in an s3:// URL (the bucket would be "user:secret@bucket"): refused, redacted.
  if (m[1].includes('@')) {
    throw new EtlError('USAGE', `"${redactUrl(url)}": an s3:// URL cannot carry credentials. Give them through AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role, and name only s3://bucket/prefix.`);
  }
  return { bucket: m[1], prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

export function createS3Client(options: S3Options): S3Client {
  const config: S3ClientConfig = {
    maxAttempts: options.maxAttempts ?? 4,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: options.requestTimeoutMs ?? 120_000 },
  };
  if (options.region) config.region = options.region;
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
  if (options.checksums === 'when_required') {
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

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
    client?: S3Client,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    this.url = `s3://${this.bucket}${this.prefix ? '/' + this.prefix : ''}`;
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? DEFAULT_PART_SIZE);
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.client = client ?? createS3Client(options);
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

  private objectParams(key: string, contentType?: string) {
    return {
      Bucket: this.bucket,
      Key: key,
      ContentType: contentType,
      ServerSideEncryption: this.options.sse as ServerSideEncryption | undefined,
      SSEKMSKeyId: this.options.sse === 'aws:kms' ? this.options.kmsKeyId : undefined,
      StorageClass: this.options.storageClass as StorageClass | undefined,
    };
  }

  createFile(relPath: string, options: FileOptions = {}): OutputFile {
    const key = this.key(relPath);
    const pass = new PassThrough({ highWaterMark: 1 << 20 });
    const upload = new Upload({
      client: this.client,
      params: { ...this.objectParams(key, options.contentType), Body: pass },
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
    // The store may be down for a moment (that may be why the run failed): try a few times.
    let problems: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
      problems = await this.removeRun();
      if (!problems.length) {
        // Only now: while objects may remain, the journal lets the next run delete them.
        await this.journal.clear();
        return;
      }
    }
    throw new EtlError(
      'SINK_WRITE',
      `Could not fully remove the failed run ${this.runId} from ${this.url} (${problems.length} problems, first: ${problems[0]}). No manifest was written, so manifest readers are not affected; the next run to this destination deletes what its publish journal (${PENDING_DIR}/${this.runId}.json) lists and aborts multipart uploads left behind, and an S3 lifecycle rule (AbortIncompleteMultipartUpload) is a good safety net.`,
    );
  }

  /** Delete the run's uploaded objects and abort its open multipart uploads; returns what failed. */
  private async removeRun(): Promise<string[]> {
    const problems: string[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < this.uploaded.length; i += 1000) {
      const keys = this.uploaded.slice(i, i + 1000);
      try {
        const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        for (const e of res.Errors ?? []) {
          problems.push(`delete ${e.Key}: ${e.Code ?? ''} ${e.Message ?? ''}`);
          if (e.Key) remaining.push(e.Key);
        }
      } catch (err) {
        // Some S3-compatible stores lack DeleteObjects: one by one.
        for (const Key of keys) {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch((e: unknown) => {
            problems.push(`delete ${Key}: ${describe(e ?? err)}`);
            remaining.push(Key);
          });
        }
      }
    }
    this.log?.debug('removed the failed run\'s objects', { deleted: this.uploaded.length - remaining.length, remaining: remaining.length });
    this.uploaded.splice(0, this.uploaded.length, ...remaining);
    try {
      const aborted = await this.abortMultipartUploads((key) => key.includes(`/${this.runId}-`) || key.includes(`/${this.runId}.`));
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
  async abortMultipartUploads(match: (key: string) => boolean, startedBefore?: Date): Promise<number> {
    let aborted = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const res = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix ? this.prefix + '/' : undefined, KeyMarker, UploadIdMarker }),
      );
      for (const u of res.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !match(u.Key)) continue;
        if (startedBefore && u.Initiated && u.Initiated > startedBefore) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
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

  async readSmall(relPath: string): Promise<SmallObject | null> {
    const key = this.key(relPath);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const content = (await res.Body?.transformToString('utf8')) ?? '';
      return { content, version: res.ETag ?? '' };
    } catch (err) {
      if (statusOf(err) === 404 || nameOf(err) === 'NoSuchKey') return null;
      throw s3Error('read', this.bucket, key, err);
    }
  }

  /** Conditional writes use `If-None-Match: *` (create only) and `If-Match: <etag>` (S3 supports both since 2024). */
  async writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean> {
    const key = this.key(relPath);
    try {
      await this.client.send(
        new PutObjectCommand({
          ...this.objectParams(key, relPath.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8'),
          Body: content,
          IfNoneMatch: condition && 'ifAbsent' in condition ? '*' : undefined,
          IfMatch: condition && 'ifVersion' in condition ? condition.ifVersion : undefined,
        }),
      );
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (condition && (status === 412 || status === 409)) return false;
      throw s3Error('write', this.bucket, key, err);
    }
  }

  async deleteSmall(relPath: string): Promise<void> {
    const key = this.key(relPath);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (statusOf(err) !== 404) throw s3Error('delete', this.bucket, key, err);
    }
  }
}

/** Keys of this tool's data files: `…/<run_id>-<part>.<ext>`. */
const RUN_FILE = /\/\d{8}T\d{9}Z-[0-9a-f]{6}-\d{5}\.[a-z.]+$/;

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
function nameOf(err: unknown): string | undefined {
  return (err as { name?: string })?.name;
}
function isNotImplemented(err: unknown): boolean {
  return nameOf(err) === 'NotImplemented' || statusOf(err) === 501;
}

function describe(err: unknown): string {
  const name = nameOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  const status = statusOf(err);
  return `${name && !msg.startsWith(name) ? name + ': ' : ''}${msg}${status ? ` (HTTP ${status})` : ''}`;
}

/** An S3 failure as an EtlError, with what to do for the usual configuration mistakes. */
export function s3Error(op: string, bucket: string, key: string, err: unknown): EtlError {
  if (err instanceof EtlError) return err;
  const text = describe(err);
  let hint = '';
  if (/Region is missing/i.test(text)) hint = ' Set AWS_REGION (or the region option).';
  else if (/credential/i.test(text) && /load|provider|missing/i.test(text)) hint = ' Configure AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role).';
  else if (nameOf(err) === 'NoSuchBucket') hint = ` Create the bucket ${bucket} first, or check the name.`;
  else if (statusOf(err) === 403) hint = ' Check that the credentials may write to this bucket and prefix.';
  else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(text)) hint = ' Check the endpoint (AWS_ENDPOINT_URL_S3 / the endpoint option).';
  return new EtlError('SINK_WRITE', `S3 ${op} of s3://${bucket}/${key} failed: ${text}.${hint}`, { cause: err, retryable: (statusOf(err) ?? 0) >= 500 });
}
