import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EtlError } from '../errors.js';

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
  /** Write bytes; resolves when the destination can take more (backpressure). */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Flush and close; the file is staged, not yet visible to readers. */
  close(): Promise<WrittenFile>;
}

/**
 * Where a run's files go. Files are staged while the run is going and become visible only at
 * {@link Destination.publish}; the manifest is written after that, last.
 */
export interface Destination {
  /** Human description for logs and the manifest (never contains credentials). */
  readonly url: string;
  createFile(relPath: string): OutputFile;
  /** Make every staged file visible at its final path. */
  publish(signal?: AbortSignal): Promise<void>;
  /** Write a small object directly (atomically) at its final path: the manifest. */
  writeSmallFile(relPath: string, content: string): Promise<WrittenFile>;
  /** Delete everything the run staged or published; used on failure and abort. */
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

/**
 * A local directory. Files are written under `<root>/_staging/<runId>/` and renamed into place
 * at publish (same filesystem, so each rename is atomic); readers that glob the table folders
 * never see a half-written file, and `_`-prefixed folders are ignored by Hive-style readers.
 */
export class LocalDestination implements Destination {
  readonly url: string;
  private readonly root: string;
  private readonly stagingDir: string;
  private readonly staged: string[] = [];
  private readonly published: string[] = [];
  private readonly open = new Set<WriteStream>();

  constructor(root: string, runId: string) {
    this.root = path.resolve(root);
    this.url = this.root;
    this.stagingDir = path.join(this.root, '_staging', runId);
  }

  createFile(relPath: string): OutputFile {
    const staged = path.join(this.stagingDir, relPath);
    this.staged.push(relPath);
    const counter = new HashingCounter();
    let stream: WriteStream | undefined;
    let failure: Error | undefined;
    const ensure = async (): Promise<WriteStream> => {
      if (stream) return stream;
      await mkdir(path.dirname(staged), { recursive: true }).catch((err: unknown) => {
        throw sinkError(`create the folder for ${relPath}`, err);
      });
      stream = createWriteStream(staged);
      this.open.add(stream);
      stream.on('error', (err) => {
        failure = err;
      });
      return stream;
    };
    return {
      path: relPath,
      write: async (chunk) => {
        const s = await ensure();
        if (failure) throw sinkError(`write ${relPath}`, failure);
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (buf.byteLength === 0) return;
        counter.update(buf);
        if (!s.write(buf)) {
          await waitForDrain(s);
          if (failure) throw sinkError(`write ${relPath}`, failure);
        }
      },
      close: async () => {
        const s = await ensure();
        await new Promise<void>((resolve, reject) => {
          s.end((err?: Error | null) => (err ? reject(err) : resolve()));
        }).catch((err: unknown) => {
          throw sinkError(`close ${relPath}`, err);
        });
        this.open.delete(s);
        if (failure) throw sinkError(`write ${relPath}`, failure);
        return { path: relPath, bytes: counter.bytes, sha256: counter.digest() };
      },
    };
  }

  async publish(signal?: AbortSignal): Promise<void> {
    for (const rel of this.staged) {
      signal?.throwIfAborted();
      const target = path.join(this.root, rel);
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(path.join(this.stagingDir, rel), target);
      } catch (err) {
        throw sinkError(`publish ${rel}`, err);
      }
      this.published.push(rel);
    }
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(path.dirname(this.stagingDir)).catch(() => undefined);
  }

  async writeSmallFile(relPath: string, content: string): Promise<WrittenFile> {
    const target = path.join(this.root, relPath);
    const tmp = `${target}.tmp-${process.pid}`;
    const buf = Buffer.from(content, 'utf8');
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(tmp, buf);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw sinkError(`write ${relPath}`, err);
    }
    const counter = new HashingCounter();
    counter.update(buf);
    return { path: relPath, bytes: counter.bytes, sha256: counter.digest() };
  }

  async discard(): Promise<void> {
    for (const s of this.open) s.destroy();
    this.open.clear();
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(path.dirname(this.stagingDir)).catch(() => undefined);
    for (const rel of this.published) await rm(path.join(this.root, rel), { force: true });
  }
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

function sinkError(what: string, err: unknown): EtlError {
  const e = err as NodeJS.ErrnoException;
  const detail = e?.code === 'ENOSPC' ? 'no space left on the device' : e?.code === 'EACCES' || e?.code === 'EPERM' ? 'permission denied' : (e?.message ?? String(err));
  return new EtlError('SINK_WRITE', `Could not ${what}: ${detail}.`, { cause: err });
}
