import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  HashingCounter,
  writtenFileOf,
  sinkError,
  waitForDrain,
  type Destination,
  type OutputFile,
  type SmallObject,
  type WriteCondition,
  type WrittenFile,
} from './destination.js';

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
      // Writing a row group waits for the disk only when 1 MiB is already queued (default 16 KiB).
      stream = createWriteStream(staged, { highWaterMark: 1 << 20 });
      this.open.add(stream);
      stream.on('error', (err) => {
        failure = err;
      });
      return stream;
    };
    return {
      path: relPath,
      get bytes() {
        return counter.bytes;
      },
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
    await this.writeSmall(relPath, content);
    return writtenFileOf(relPath, content);
  }

  async discard(): Promise<void> {
    for (const s of this.open) s.destroy();
    this.open.clear();
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(path.dirname(this.stagingDir)).catch(() => undefined);
    for (const rel of this.published) await rm(path.join(this.root, rel), { force: true });
  }

  /**
   * Remove `_staging/<run_id>` folders of other runs that started more than `graceMs` ago: what a
   * killed run (SIGKILL, power loss) left. Readers never saw them; this only frees the space.
   */
  async sweepStaleStaging(graceMs: number, log?: { warn(msg: string, fields?: Record<string, unknown>): void }): Promise<number> {
    const root = path.dirname(this.stagingDir);
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{6}$/.exec(name);
      if (!m || path.join(root, name) === this.stagingDir) continue;
      const started = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
      if (Date.now() - started < graceMs) continue;
      await rm(path.join(root, name), { recursive: true, force: true });
      removed++;
    }
    if (removed) log?.warn('removed the staging folders of earlier runs that did not finish', { count: removed });
    return removed;
  }

  async readSmall(relPath: string): Promise<SmallObject | null> {
    try {
      const buf = await readFile(path.join(this.root, relPath));
      return { content: buf.toString('utf8'), version: contentVersion(buf) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw sinkError(`read ${relPath}`, err);
    }
  }

  /**
   * Written to a temp file, then `link`ed (create-only: fails if the target exists, atomically) or
   * `rename`d into place. `ifVersion` compares before renaming, which is not atomic against a
   * concurrent writer on a local disk; the lock that guards it is created with `ifAbsent`.
   */
  async writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean> {
    const target = path.join(this.root, relPath);
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(tmp, content, 'utf8');
      if (condition && 'ifAbsent' in condition) {
        try {
          await link(tmp, target);
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw err;
        }
      }
      if (condition && 'ifVersion' in condition) {
        const current = await this.readSmall(relPath);
        if (!current || current.version !== condition.ifVersion) return false;
      }
      await rename(tmp, target);
      return true;
    } catch (err) {
      throw sinkError(`write ${relPath}`, err);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async deleteSmall(relPath: string): Promise<void> {
    await rm(path.join(this.root, relPath), { force: true });
  }
}

function contentVersion(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}
