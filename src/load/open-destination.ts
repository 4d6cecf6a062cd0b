import { EtlError, redactUrl } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_ORPHAN_GRACE_MINUTES } from '../model/defaults.js';
import type { Destination } from './destination.js';
import { LocalDestination } from './local-destination.js';
import { S3Destination, type S3Options } from './s3-destination.js';

export interface OpenDestinationOptions {
  s3?: S3Options;
  /**
   * Leftovers of killed runs older than this are cleaned at the start of a run: files listed by
   * their publish journals, multipart uploads on S3, `_staging/<run_id>` folders locally. Runs
   * proven dead (same host, process gone) are cleaned at once. Default 60 minutes; negative: only
   * the proven dead.
   */
  orphanGraceMs?: number;
  log?: Logger;
}

export function isS3Url(to: string): boolean {
  return to.startsWith('s3://');
}

/** What each location flag takes, for the message that refuses anything else. */
const SUPPORTED: Record<'--to' | '--state' | '--from' | '--report', { schemes: string[]; text: string }> = {
  '--to': { schemes: ['s3'], text: 'a local folder or s3://bucket/prefix' },
  '--state': { schemes: ['s3'], text: 'a local file or s3://bucket/key' },
  '--from': { schemes: [], text: 'a local file' },
  '--report': { schemes: [], text: 'a local folder' },
};

/**
 * Refuse a `scheme://…` location the tool cannot write or read (`postgres://`, `gs://`, `http://`):
 * taken as a path it would silently become a local folder named `postgres:`. USAGE (exit 2); the
 * value is shown with its credentials redacted.
 */
export function assertSupportedLocation(value: string, flag: keyof typeof SUPPORTED): void {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value);
  if (!m) return;
  const scheme = m[1]!.toLowerCase();
  const { schemes, text } = SUPPORTED[flag];
  if (schemes.includes(scheme) && scheme === m[1]) return;
  throw new EtlError('USAGE', `${flag} ${redactUrl(value)}: the scheme "${m[1]}://" is not supported. ${flag} takes ${text}.`);
}

/**
 * A local folder or `s3://bucket/prefix`. For S3 the bucket is probed (write + delete a small
 * object) and leftovers of killed runs are swept before the run starts.
 */
export async function openDestination(to: string, runId: string, options: OpenDestinationOptions = {}): Promise<Destination> {
  assertSupportedLocation(to, '--to');
  // Negative: no sweep by age; runs proven dead (same host, process gone) are still swept.
  const grace = options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MINUTES * 60_000;
  const byAge = grace >= 0 ? grace : Number.POSITIVE_INFINITY;
  if (!isS3Url(to)) {
    const local = new LocalDestination(to, runId);
    await local.sweepAbandonedRuns(byAge, options.log);
    await local.begin();
    return local;
  }
  const dest = new S3Destination(to, runId, options.s3 ?? {}, options.log);
  await dest.probe();
  await dest.sweepAbandonedRuns(byAge).catch((err: unknown) =>
    options.log?.warn('could not check for output left by earlier runs that were killed', { error: err instanceof Error ? err.message : String(err) }),
  );
  if (grace >= 0) {
    await dest.sweepOrphanedUploads(grace).catch((err: unknown) =>
      options.log?.warn('could not check for multipart uploads left by earlier runs', { error: err instanceof Error ? err.message : String(err) }),
    );
  }
  await dest.begin();
  return dest;
}
