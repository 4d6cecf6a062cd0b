import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { IdSet } from '../model/id-set.js';
import { EtlError } from '../errors.js';
import { assertSupportedLocation, isS3Url } from '../location.js';
import type { Logger } from '../log.js';
import { StoreLock, type LockInfo } from './lock.js';
import { LocalObjectStore, S3ObjectStore, type ObjectStore } from './object-store.js';
import { createS3Client, parseS3Url, type S3Options } from './s3-client.js';

export type { LockInfo } from './lock.js';

/** What a scheduled export remembers between runs (`--state`). Never holds a secret. */
export interface RunState {
  state_version: 1;
  /** Start of the last published run, Unix ms: the next incremental run reads users updated since (minus the overlap). */
  watermark: number;
  watermark_iso: string;
  last_run_id: string;
  last_mode: 'full' | 'incremental';
  /** Ids of every user the last full run (or id sweep) saw: the baseline for deletions. */
  ids?: { run_id: string; file: string; count: number };
  /** (id, updated_at) of users written by the last run inside its overlap window, so the next run skips them. */
  recent?: Array<[string, number]>;
  /**
   * The resources besides users: per resource, the file of (id, updated_at) of every record the last
   * run listed. The next run writes only the records whose pair changed, and the ids gone are deletions.
   */
  resources?: Record<string, { run_id: string; file: string; count: number }>;
  updated_at: string;
}

/**
 * The (id, updated_at) pairs the next run skips (`RunState.recent`): the pairs this run wrote, and
 * the pairs the previous state remembered, as long as they lie inside the next run's overlap window
 * (updated at or after `since`). Carrying the old pairs over matters when this run skipped those
 * users (unchanged, already written): forgetting them would make the next run write them again.
 * The newer pair of an id wins.
 */
export function rememberedPairs(previous: ReadonlyArray<[string, number]> | undefined, written: ReadonlyArray<[string, number]>, since: number): Array<[string, number]> {
  const pairs = new Map<string, number>();
  for (const [id, updatedAt] of [...(previous ?? []), ...written]) {
    if (updatedAt >= since && updatedAt >= (pairs.get(id) ?? updatedAt)) pairs.set(id, updatedAt);
  }
  return [...pairs];
}

/**
 * The state file, its lock and the id lists of deletion detection, in one folder or S3 prefix:
 * `<state>`, `<state>.lock`, `<state>.ids-<run_id>.gz`.
 */
export class StateStore {
  readonly url: string;
  private readonly store: ObjectStore;
  private readonly key: string;
  private readonly lock: StoreLock;

  constructor(stateUrl: string, options: { s3?: S3Options; log?: Logger } = {}) {
    assertSupportedLocation(stateUrl, '--state');
    this.url = stateUrl;
    if (isS3Url(stateUrl)) {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(stateUrl);
      if (!m || m[2]!.endsWith('/')) throw new EtlError('USAGE', `--state ${stateUrl} must name an object, e.g. s3://bucket/clerk/_state/nightly.json.`);
      const dir = path.posix.dirname(m[2]!);
      const { bucket, prefix } = parseS3Url(`s3://${m[1]}/${dir === '.' ? '' : dir}`);
      this.store = new S3ObjectStore(createS3Client(options.s3 ?? {}), bucket, prefix, options.s3);
      this.key = path.posix.basename(m[2]!);
    } else {
      // The state, its lock and id lists are the tool's own: owner-only (0600, new folders 0700).
      this.store = new LocalObjectStore(path.dirname(path.resolve(stateUrl)), { privateFiles: true });
      this.key = path.basename(stateUrl);
    }
    this.lock = new StoreLock(this.store, `${this.key}.lock`);
  }

  async read(): Promise<{ state: RunState | null; version?: string }> {
    const obj = await this.store.readSmall(this.key);
    if (!obj) return { state: null };
    try {
      const state = JSON.parse(obj.content) as RunState;
      if (state.state_version !== 1 || typeof state.watermark !== 'number') throw new Error('unknown state_version or no watermark');
      return { state, version: obj.version };
    } catch (err) {
      throw new EtlError('CONFIG_INVALID', `The state ${this.url} cannot be read (${(err as Error).message}). Move it away to start again with a full run.`);
    }
  }

  /** Write the state; with the version read at start, fails if another writer changed it meanwhile. */
  async write(state: RunState, previousVersion?: string): Promise<void> {
    const ok = await this.store.writeSmall(this.key, JSON.stringify(state, null, 2) + '\n', previousVersion ? { ifVersion: previousVersion } : { ifAbsent: true });
    if (!ok) throw new EtlError('SINK_WRITE', `The state ${this.url} was changed by someone else during this run; it was not overwritten. The run's output is published; the next run reads from the older watermark again (at least once).`);
  }

  idsFile(runId: string): string {
    return `${this.key}.ids-${runId}.gz`;
  }

  /** Sorted ids, newline-separated, gzipped. */
  async writeIds(runId: string, ids: Iterable<string>): Promise<{ file: string; count: number }> {
    const list = [...ids].sort();
    const file = this.idsFile(runId);
    await this.store.writeSmall(file, gzipSync(list.join('\n')).toString('base64'));
    return { file, count: list.length };
  }

  /** Write one resource's (id, updated_at) pairs: `<state>.<resource>-<run_id>.gz`, one `id<TAB>updated_at` line each. */
  async writePairs(runId: string, resource: string, pairs: ReadonlyMap<string, number>): Promise<{ file: string; count: number }> {
    const lines = [...pairs].map(([id, at]) => `${id}\t${at}`).sort();
    const file = `${this.key}.${resource}-${runId}.gz`;
    await this.store.writeSmall(file, gzipSync(lines.join('\n')).toString('base64'));
    return { file, count: lines.length };
  }

  async readPairs(file: string): Promise<Map<string, number>> {
    const obj = await this.store.readSmall(file);
    if (!obj) throw new EtlError('CONFIG_INVALID', `The record list ${file} named by the state ${this.url} is missing; changes and deletions cannot be told apart this run. Move the state away to start again.`);
    const text = gunzipSync(Buffer.from(obj.content, 'base64')).toString('utf8');
    const pairs = new Map<string, number>();
    for (const line of text ? text.split('\n') : []) {
      const tab = line.lastIndexOf('\t');
      pairs.set(line.slice(0, tab), Number(line.slice(tab + 1)));
    }
    return pairs;
  }

  async readIds(file: string): Promise<IdSet> {
    const obj = await this.store.readSmall(file);
    if (!obj) throw new EtlError('CONFIG_INVALID', `The id list ${file} named by the state ${this.url} is missing; deletions cannot be detected this run. Move the state away to start again.`);
    const text = gunzipSync(Buffer.from(obj.content, 'base64')).toString('utf8');
    return new IdSet(text ? text.split('\n') : []);
  }

  async deleteIds(file: string): Promise<void> {
    await this.store.deleteSmall(file);
  }

  /**
   * Take the lock (`<state>.lock`, created only if absent: O_EXCL-like link locally, If-None-Match
   * on S3). A lock older than `ttlMs`, or held by a process of this host that no longer runs, is
   * taken over with a warning. Returns the holder when the lock is taken by a live run.
   */
  acquireLock(runId: string, ttlMs: number, log: Logger): Promise<{ ok: true } | { ok: false; holder: LockInfo | null }> {
    return this.lock.acquire(runId, ttlMs, log);
  }

  releaseLock(): Promise<void> {
    return this.lock.release();
  }
}
