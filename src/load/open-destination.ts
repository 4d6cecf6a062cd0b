import { assertSupportedLocation, isS3Url } from '../location.js';
import type { Logger } from '../log.js';
import { DEFAULT_ORPHAN_GRACE_MINUTES } from '../model/defaults.js';
import type { Destination } from './destination.js';
import { LocalDestination } from './local-destination.js';
import { S3Destination } from './s3-destination.js';
import type { S3Options } from '../state/s3-client.js';

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
