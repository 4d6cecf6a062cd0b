import { createHash } from 'node:crypto';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EtlError } from '../errors.js';
import { makeDirs, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-fs.js';
import { nameOf, objectParams, s3Error, statusOf, type S3Options } from './s3-client.js';

/** A small object read back, with a version token for a later conditional write. */
export interface SmallObject {
  content: string;
  /** Opaque: an S3 ETag, or a hash of a local file's content. */
  version: string;
}

/** Condition of {@link ObjectStore.writeSmall}: create only, or replace only an unchanged version. */
export type WriteCondition = { ifAbsent: true } | { ifVersion: string };

/**
 * Small objects (state, lock, id lists, journals, manifests) in a local folder or an S3 prefix, read
 * and written whole, with the conditional create that locks rest on. Paths are relative, with `/`.
 */
export interface ObjectStore {
  /** Human description for logs (never contains credentials). */
  readonly url: string;
  /** Read a small object; null when it does not exist. */
  readSmall(relPath: string): Promise<SmallObject | null>;
  /** Write a small object; with a condition, returns false (and writes nothing) when the condition fails. */
  writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean>;
  /** Delete a small object (no error when it does not exist). */
  deleteSmall(relPath: string): Promise<void>;
}

export interface LocalObjectStoreOptions {
  /**
   * The tool's own files (state, lock, id lists): 0600, and the folders created for them 0700.
   * Default false: files follow the umask (0644 under 022).
   */
  privateFiles?: boolean;
}

/** A local folder. Every write is atomic: a fsynced temp file, then `link`ed (create only) or renamed. */
export class LocalObjectStore implements ObjectStore {
  readonly url: string;
  private readonly privateFiles: boolean;

  constructor(root: string, options: LocalObjectStoreOptions = {}) {
    this.url = path.resolve(root);
    this.privateFiles = options.privateFiles ?? false;
  }

  async readSmall(relPath: string): Promise<SmallObject | null> {
    try {
      const buf = await readFile(path.join(this.url, relPath));
      return { content: buf.toString('utf8'), version: contentVersion(buf) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw storeError(`read ${relPath}`, err);
    }
  }

  /**
   * Written to a temp file, then `link`ed (create-only: fails if the target exists, atomically) or
   * `rename`d into place. `ifVersion` compares before renaming, which is not atomic against a
   * concurrent writer on a local disk; the lock that guards it is created with `ifAbsent`.
   */
  async writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean> {
    return this.writeFile(relPath, content, condition, this.privateFiles);
  }

  /**
   * {@link writeSmall}, owner-only (`priv`: file 0600, new folders 0700) or following the umask,
   * whatever the store's default (an export folder keeps its `_pending` journals owner-only).
   */
  async writeFile(relPath: string, content: string, condition: WriteCondition | undefined, priv: boolean): Promise<boolean> {
    const target = path.join(this.url, relPath);
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      // An export root keeps the default mode; a state folder and `_pending` are owner-only.
      const dirMode = (p: boolean): number | undefined => (p ? PRIVATE_DIR_MODE : undefined);
      await makeDirs(this.url, dirMode(this.privateFiles))
        .then(() => makeDirs(path.dirname(target), dirMode(priv)))
        .catch((err: unknown) => {
          throw storeError(`create the folder for ${relPath}`, err);
        });
      const fh = await open(tmp, 'wx', priv ? PRIVATE_FILE_MODE : 0o666);
      try {
        await fh.writeFile(content, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
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
      if (err instanceof EtlError) throw err;
      throw storeError(`write ${relPath}`, err);
    } finally {
      // Gone already after a rename; ENOTDIR when the folder could not even be made.
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async deleteSmall(relPath: string): Promise<void> {
    await rm(path.join(this.url, relPath), { force: true });
  }
}

/**
 * An S3 prefix, through `@aws-sdk/client-s3` directly. Conditional writes use `If-None-Match: *`
 * (create only) and `If-Match: <etag>` (S3 supports both since 2024; moto honours them, s3rver
 * ignores them: docs/dependencies.md, "AWS SDK and S3-compatible servers").
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
    private readonly options: S3Options = {},
  ) {
    this.url = `s3://${bucket}${prefix ? '/' + prefix : ''}`;
  }

  key(relPath: string): string {
    return this.prefix ? `${this.prefix}/${relPath}` : relPath;
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

  async writeSmall(relPath: string, content: string, condition?: WriteCondition): Promise<boolean> {
    const key = this.key(relPath);
    try {
      await this.client.send(
        new PutObjectCommand({
          ...objectParams(this.options, this.bucket, key, relPath.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8'),
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

function contentVersion(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

/** A local file-system failure as SINK_WRITE, saying what could not be done. */
export function storeError(what: string, err: unknown): EtlError {
  const e = err as NodeJS.ErrnoException;
  const detail = e?.code === 'ENOSPC' ? 'no space left on the device' : e?.code === 'EACCES' || e?.code === 'EPERM' ? 'permission denied' : (e?.message ?? String(err));
  return new EtlError('SINK_WRITE', `Could not ${what}: ${detail}.`, { cause: err });
}
