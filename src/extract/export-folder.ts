import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EtlError } from '../errors.js';
import type { RunContext, SourceRecord } from '../model/records.js';
import { FileSource } from './file-source.js';
import type { Source } from './source.js';

/** What an import reads of an export's manifest. */
interface ManifestView {
  run_id: string;
  mode?: string;
  formats?: string[];
  files: Array<{ table: string; format: string; path: string }>;
}

/** An export written by clerk-etl, read through one of its manifests. */
export interface ExportFolder {
  /** The folder the manifest's paths are relative to. */
  root: string;
  manifestFile: string;
  manifest: ManifestView;
}

/**
 * Whether `from` is an export folder (it has `_manifests/`) or one of its manifests
 * (`<root>/_manifests/<run_id>.json`), rather than a file of records.
 */
export function isExportFolder(from: string): boolean {
  try {
    if (statSync(from).isDirectory()) return statSync(path.join(from, '_manifests')).isDirectory();
    return path.basename(path.dirname(path.resolve(from))) === '_manifests' && from.endsWith('.json');
  } catch {
    return false;
  }
}

/**
 * The export to import: the given manifest, or the folder's latest (run ids sort by time). It
 * must be a full run (an incremental one holds only what changed) written with `--format raw`:
 * the import sends Clerk's own objects, which only `raw` keeps whole.
 */
export function openExportFolder(from: string): ExportFolder {
  let manifestFile: string;
  if (statSync(from).isDirectory()) {
    const dir = path.join(from, '_manifests');
    const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
    if (!names.length) throw new EtlError('INPUT_INVALID', `${from} has no manifest under _manifests/: no published export to import.`);
    manifestFile = path.join(dir, names[names.length - 1]!);
  } else {
    manifestFile = from;
  }
  const root = path.dirname(path.dirname(path.resolve(manifestFile)));
  let manifest: ManifestView;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ManifestView;
  } catch (err) {
    throw new EtlError('INPUT_INVALID', `Cannot read the manifest ${manifestFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(manifest?.files)) throw new EtlError('INPUT_INVALID', `${manifestFile} is not a clerk-etl manifest (no files list).`);
  if (manifest.mode === 'incremental') {
    throw new EtlError('INPUT_INVALID', `${manifestFile} is an incremental run: it holds only the records changed since the run before. Import a full run (pass its manifest: --from <export>/_manifests/<run_id>.json).`);
  }
  if (!manifest.files.some((f) => f.format === 'raw')) {
    throw new EtlError('INPUT_INVALID', `${manifestFile} has no raw files: the import sends Clerk's objects as exported, which only --format raw keeps. Export again with --format raw (next to any other format).`);
  }
  return { root, manifestFile, manifest };
}

/** The raw files of one table of the export (`raw_users`, `raw_organizations`, …), in part order. */
export function rawFiles(folder: ExportFolder, table: string): string[] {
  return folder.manifest.files.filter((f) => f.format === 'raw' && f.table === table).map((f) => path.join(folder.root, f.path));
}

/** Several NDJSON files read one after the other as one source; each record names its file and line. */
export class FilesSource implements Source {
  readonly mayRepeat = false;
  readonly requiresUsers = false;
  readonly description: Record<string, unknown>;

  constructor(
    private readonly files: readonly string[],
    description: Record<string, unknown>,
  ) {
    this.description = { ...description, files: files.length };
  }

  async total(): Promise<number | undefined> {
    return undefined;
  }

  async *read(ctx: RunContext): AsyncIterable<SourceRecord[]> {
    for (const file of this.files) {
      const name = path.basename(file);
      for await (const batch of new FileSource(file, 'ndjson').read(ctx)) yield batch.map((r) => ({ ...r, where: `${name} ${r.where}` }));
    }
  }
}
