import { createHash, type Hash } from 'node:crypto';
import type { ObjectStore } from '../state/object-store.js';

export type { SmallObject, WriteCondition } from '../state/object-store.js';
export { storeError as sinkError } from '../state/object-store.js';

/** What a finished file is: listed in the manifest. */
export interface WrittenFile {
  /** Path relative to the destination root, with `/` separators. */
  path: string;
  bytes: number;
  sha256: string;
}

/** A file being written. Bytes are counted and hashed as they pass. */
export interface OutputFile {
  readonly path: string;
  /** Bytes written so far (as stored: after compression). */
  readonly bytes: number;
  /** Write bytes; resolves when the destination can take more (backpressure). */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Flush and close; the file is staged, not yet visible to readers. */
  close(): Promise<WrittenFile>;
}

/** Options of a file. */
export interface FileOptions {
  /** MIME type, for object stores. */
  contentType?: string;
}

/**
 * Where a run's files go. Files are staged while the run is going and become visible (local) or
 * are kept (S3) only once {@link Destination.publish} succeeds; the manifest is written after that,
 * last. Small objects (manifest, publish journal) are read and written directly, with conditions
 * ({@link ObjectStore}, the same store the state and lock use).
 */
export interface Destination extends ObjectStore {
  /** Human description for logs and the manifest (never contains credentials). */
  readonly url: string;
  createFile(relPath: string, options?: FileOptions): OutputFile;
  /** Make every staged file visible at its final path. */
  publish(signal?: AbortSignal): Promise<void>;
  /**
   * Write a small object directly (atomically) at its final path: the manifest, the run's last
   * write. After it the run's publish journal (`_pending/<run_id>.json`) is removed.
   */
  writeSmallFile(relPath: string, content: string): Promise<WrittenFile>;
  /**
   * Delete everything the run staged or published, and abort uploads in flight; used on failure and
   * abort. The publish journal is removed only once that succeeded, so the next run finishes the job.
   */
  discard(): Promise<void>;
}

/** Counts and hashes bytes on the way to an underlying writer. */
export class HashingCounter {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The manifest entry of a small file written whole. */
export function writtenFileOf(relPath: string, content: string): WrittenFile {
  const counter = new HashingCounter();
  counter.update(Buffer.from(content, 'utf8'));
  return { path: relPath, bytes: counter.bytes, sha256: counter.digest() };
}

/** Resolve on 'drain' or 'error' (the error itself is recorded by the stream's own listener). */
export function waitForDrain(s: NodeJS.WritableStream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      s.off('drain', done);
      s.off('error', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('error', done);
    s.on('close', done);
  });
}
