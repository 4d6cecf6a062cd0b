import { closeSync, fchmodSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Files and folders the user did not ask to publish (the import's journal and reports; an
 * export's state, lock and staging) hold user data and ids: only their owner may read them,
 * whatever the umask (0644 / 0755 under the usual 022).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * `mkdir -p` with mode 0700 for every folder it creates. A folder that already exists keeps its
 * mode: it may be the user's (e.g. `--report .`). Returns `dir`. The folders are made one by one
 * from the deepest that exists: Node's `mkdirSync(…, { recursive: true })` spins at 100 % CPU,
 * never returning, where mkdir answers ENOENT although the parent exists (under `/proc`).
 */
export function ensurePrivateDir(dir: string): string {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; ) {
    try {
      statSync(d);
      break; // exists (a file here makes the mkdir below fail with ENOTDIR, naming it)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode: PRIVATE_DIR_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
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
