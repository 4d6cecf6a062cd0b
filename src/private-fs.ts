import { closeSync, fchmodSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Mode of files the user did not ask to publish (state, locks, staging, journals): owner only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of folders this tool creates for such files. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * `mkdir -p` that always ends. Node's own `mkdir(…, { recursive: true })` loops forever (100 % CPU,
 * deaf to SIGTERM) on a path it can never create, such as one under /proc, where mkdir answers
 * ENOENT although the parent exists. Here every level is tried once: a parent is created, then the
 * child is tried again a single time, so a path that cannot be created fails with the system's error.
 * `mode` applies to `dir` itself when this call creates it (minus the umask), never to an existing
 * folder; missing parents get the default mode (a private state folder does not make the export
 * folder above it private).
 */
export async function makeDirs(dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, { mode });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir).then((s) => s.isDirectory(), () => false))) return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await makeDirs(parent);
    try {
      await mkdir(dir, { mode });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(dir).then((s) => s.isDirectory(), () => false))) return;
      throw again;
    }
  }
}

/** {@link makeDirs}, synchronous (the summary file, written in a `finally`). */
export function makeDirsSync(dir: string, mode?: number): void {
  const isDir = (): boolean => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  };
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && isDir()) return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirsSync(parent);
    try {
      mkdirSync(dir, { mode });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'EEXIST' && isDir()) return;
      throw again;
    }
  }
}

/**
 * A folder for files only their owner may read (the import's report folder): made with
 * {@link makeDirsSync}, `dir` itself 0700 when this call creates it. A folder that already exists
 * keeps its mode: it may be the user's (e.g. `--report .`). Returns `dir`.
 */
export function ensurePrivateDir(dir: string): string {
  makeDirsSync(dir, PRIVATE_DIR_MODE);
  return dir;
}

/**
 * `openSync(file, flags)` that creates the file 0600 and narrows an existing one to 0600 (a file
 * an older version created world-readable). Narrowing is best effort: a file of another owner
 * cannot be changed, and is then opened as it is.
 */
export function openPrivate(file: string, flags: 'a' | 'w' | 'r+'): number {
  const fd = openSync(file, flags, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch {
    // not ours to change (EPERM); the data is still written
  }
  return fd;
}

/** Write a whole file (replacing it) through {@link openPrivate}. */
export function writePrivateFile(file: string, content: string): void {
  const fd = openPrivate(file, 'w');
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
}
