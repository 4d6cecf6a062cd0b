import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { makeDirs, PRIVATE_DIR_MODE } from '../private-fs.js';
import { LocalObjectStore } from '../state/object-store.js';
import { abandonedBecause, JournalWriter, journalPath, parseJournal, PENDING_DIR, RUN_ID, runIdOfJournal } from './publish-journal.js';
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
 * Before the first rename the publish journal (`_pending/<run_id>.json`) lists every final path,
 * so a run killed halfway through publishing is swept by the next one.
 */
export class LocalDestination implements Destination {
  readonly url: string;
  private readonly root: string;
  private readonly stagingDir: string;
  /** Whether --to existed before this run: a failed run removes the folder only if it made it and left it empty. */
  private readonly rootExisted: boolean;
  private readonly staged: string[] = [];
  private readonly published: string[] = [];
  private readonly open = new Set<WriteStream>();
  private readonly journal: JournalWriter;
  /** Its small objects: the manifest and the publish journals (owner-only). */
  private readonly files: LocalObjectStore;

  constructor(root: string, private readonly runId: string) {
    this.root = path.resolve(root);
    this.rootExisted = existsSync(this.root);
    this.url = this.root;
    this.stagingDir = path.join(this.root, '_staging', runId);
    this.files = new LocalObjectStore(this.root);
    this.journal = new JournalWriter(
      runId,
      (content) => this.files.writeFile(journalPath(runId), content, undefined, true).then(() => undefined),
      () => this.removeJournal(runId),
    );
  }

  /** Write the journal naming this run (no file yet): its staging folder is known to be live. */
  async begin(): Promise<void> {
    await this.journal.add();
  }

  createFile(relPath: string): OutputFile {
    const staged = path.join(this.stagingDir, relPath);
    this.staged.push(relPath);
    const counter = new HashingCounter();
    let stream: WriteStream | undefined;
    let failure: Error | undefined;
    const ensure = async (): Promise<WriteStream> => {
      if (stream) return stream;
      // Staging, which nobody else needs to read, owner-only; the files inside become the exports.
      await makeDirs(this.stagingDir, PRIVATE_DIR_MODE)
        .then(() => makeDirs(path.dirname(staged)))
        .catch((err: unknown) => {
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
    signal?.throwIfAborted();
    // Every final path on disk before the first one is taken: a kill from here on is swept by the next run.
    await this.journal.add(...this.staged);
    for (const rel of this.staged) {
      signal?.throwIfAborted();
      const target = path.join(this.root, rel);
      try {
        await makeDirs(path.dirname(target));
        await rename(path.join(this.stagingDir, rel), target);
      } catch (err) {
        throw sinkError(`publish ${rel}`, err);
      }
      this.published.push(rel);
      await testPauseAfterPublishing(this.published.length);
    }
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(path.dirname(this.stagingDir)).catch(() => undefined);
  }

  /** Writes the manifest, the run's last write; then the publish journal has served. */
  async writeSmallFile(relPath: string, content: string): Promise<WrittenFile> {
    await this.writeSmall(relPath, content);
    await this.journal.clear();
    return writtenFileOf(relPath, content);
  }

  async discard(): Promise<void> {
    for (const s of this.open) s.destroy();
    this.open.clear();
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(path.dirname(this.stagingDir)).catch(() => undefined);
    for (const rel of this.published) await rm(path.join(this.root, rel), { force: true });
    await this.journal.clear();
    // A failed run whose --to did not exist leaves no empty folder behind (rmdir keeps a non-empty one).
    if (!this.rootExisted) await rmdir(this.root).catch(() => undefined);
  }

  private async removeJournal(runId: string): Promise<void> {
    await rm(path.join(this.root, journalPath(runId)), { force: true });
    await rmdir(path.join(this.root, PENDING_DIR)).catch(() => undefined);
  }

  /**
   * Clean up after earlier runs that were killed (SIGKILL, power loss), before this one starts:
   *
   * - a publish journal without a manifest whose run is over (its process gone from this host, or
   *   last written more than `graceMs` ago elsewhere): the files it lists (published before the
   *   kill, visible to folder globs), its staging folder and the journal are deleted;
   * - a journal whose manifest exists (killed just after it): only the journal is deleted;
   * - a `_staging/<run_id>` folder without a journal, of a run started more than `graceMs` ago.
   *
   * Never this run's own, never a live run's. Returns what was removed.
   */
  async sweepAbandonedRuns(graceMs: number, log?: { warn(msg: string, fields?: Record<string, unknown>): void }): Promise<{ runs: number; files: number; staging: number }> {
    const out = { runs: 0, files: 0, staging: 0 };
    const live = new Set<string>();
    const pendingDir = path.join(this.root, PENDING_DIR);
    for (const name of await readdir(pendingDir).catch(() => [] as string[])) {
      const runId = runIdOfJournal(name);
      if (!runId || runId === this.runId) continue;
      const j = parseJournal(await readFile(path.join(pendingDir, name), 'utf8').catch(() => ''));
      if (!j || j.run_id !== runId) continue;
      const manifest = await this.readSmall(`_manifests/${runId}.json`).catch(() => null);
      if (manifest) {
        await this.removeJournal(runId);
        continue;
      }
      const why = abandonedBecause(j, graceMs);
      if (!why) {
        live.add(runId);
        continue;
      }
      let files = 0;
      for (const rel of j.files) {
        const target = path.join(this.root, rel);
        if (await rm(target).then(() => true, () => false)) files++;
      }
      const staged = await rm(path.join(this.root, '_staging', runId), { recursive: true }).then(() => true, () => false);
      await this.removeJournal(runId);
      log?.warn('swept the output of an earlier run that was killed before its manifest', { run_id: runId, host: j.host, pid: j.pid, reason: why, published_files_removed: files, staging_removed: staged });
      out.runs++;
      out.files += files;
      if (staged) out.staging++;
    }
    const stagingRoot = path.dirname(this.stagingDir);
    let swept = 0;
    for (const name of await readdir(stagingRoot).catch(() => [] as string[])) {
      if (!RUN_ID.test(name) || name === this.runId || live.has(name)) continue;
      if (await readFile(path.join(pendingDir, `${name}.json`)).then(() => true, () => false)) continue; // a journal we could not judge
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(name)!;
      const started = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
      if (Date.now() - started < graceMs) continue;
      await rm(path.join(stagingRoot, name), { recursive: true, force: true });
      swept++;
    }
    if (swept) log?.warn('removed the staging folders of earlier runs that did not finish', { count: swept });
    out.staging += swept;
    await rmdir(stagingRoot).catch(() => undefined);
    return out;
  }

  readSmall(relPath: string): Promise<SmallObject | null> {
    return this.files.readSmall(relPath);
  }

  writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean> {
    return this.files.writeSmall(relPath, content, condition);
  }

  deleteSmall(relPath: string): Promise<void> {
    return this.files.deleteSmall(relPath);
  }
}

/**
 * Test hook, for the SIGKILL-while-publishing test only: with CLERK_ETL_TEST_PAUSE_PUBLISH_AFTER=n
 * the run stops for a minute after its n-th file reached its final place (and says so on stderr),
 * so a test can kill it at exactly that moment. Unset in normal use: costs one lookup per file.
 */
async function testPauseAfterPublishing(published: number): Promise<void> {
  const at = Number(process.env.CLERK_ETL_TEST_PAUSE_PUBLISH_AFTER);
  if (!at || published !== at) return;
  process.stderr.write(`clerk-etl test hook: paused after publishing ${published} files\n`);
  await new Promise((r) => setTimeout(r, 60_000));
}
