import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import type { ObjectStore } from './object-store.js';

/** The lock object: who holds it. */
export interface LockInfo {
  host: string;
  pid: number;
  run_id: string;
  started_at: string;
}

/** Whether a process of this host runs (EPERM: it runs, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock object in an {@link ObjectStore}, created only if absent (an O_EXCL-like `link` locally,
 * `If-None-Match: *` on S3). A lock older than the TTL, or held by a process of this host that no
 * longer runs, is taken over with a warning (compare-and-swap on the version read).
 */
export class StoreLock {
  private version?: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
  ) {}

  /** Take the lock. Returns the holder when it is taken by a live run. */
  async acquire(runId: string, ttlMs: number, log: Logger): Promise<{ ok: true } | { ok: false; holder: LockInfo | null }> {
    const mine: LockInfo = { host: hostname(), pid: process.pid, run_id: runId, started_at: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.store.writeSmall(this.key, JSON.stringify(mine) + '\n', { ifAbsent: true })) {
        this.version = (await this.store.readSmall(this.key))?.version;
        return { ok: true };
      }
      const current = await this.store.readSmall(this.key);
      if (!current) continue; // released meanwhile
      let holder: LockInfo | null = null;
      try {
        holder = JSON.parse(current.content) as LockInfo;
      } catch {
        holder = null;
      }
      const age = holder ? Date.now() - Date.parse(holder.started_at) : Number.POSITIVE_INFINITY;
      const deadHere = holder !== null && holder.host === mine.host && !processAlive(holder.pid);
      if (age <= ttlMs && !deadHere) return { ok: false, holder };
      log.warn(deadHere ? 'taking over the lock of a run on this host that no longer runs' : 'taking over a lock older than the lock TTL', {
        holder_host: holder?.host ?? null,
        holder_pid: holder?.pid ?? null,
        holder_run_id: holder?.run_id ?? null,
        holder_started_at: holder?.started_at ?? null,
        ttl_minutes: Math.round(ttlMs / 60_000),
      });
      if (await this.store.writeSmall(this.key, JSON.stringify(mine) + '\n', { ifVersion: current.version })) {
        this.version = (await this.store.readSmall(this.key))?.version;
        return { ok: true };
      }
    }
    const again = await this.store.readSmall(this.key);
    return { ok: false, holder: again ? (JSON.parse(again.content) as LockInfo) : null };
  }

  async release(): Promise<void> {
    const current = await this.store.readSmall(this.key);
    // Only our own lock: a run that lost it to a takeover must not delete the new holder's.
    if (current && (this.version === undefined || current.version === this.version)) await this.store.deleteSmall(this.key);
  }
}
