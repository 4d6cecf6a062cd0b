import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import { LocalDestination } from './local-destination.js';
import { S3Destination, type S3Options } from './s3-destination.js';

export interface OpenDestinationOptions {
  s3?: S3Options;
  /**
   * Leftovers of killed runs older than this are cleaned at the start of a run: multipart uploads
   * on S3, `_staging/<run_id>` folders locally. Default 60 minutes; negative disables it.
   */
  orphanGraceMs?: number;
  log?: Logger;
}

export function isS3Url(to: string): boolean {
  return to.startsWith('s3://');
}

/**
 * A local folder or `s3://bucket/prefix`. For S3 the bucket is probed (write + delete a small
 * object) and leftovers of killed runs are swept before the run starts.
 */
export async function openDestination(to: string, runId: string, options: OpenDestinationOptions = {}): Promise<Destination> {
  if (!isS3Url(to)) {
    const local = new LocalDestination(to, runId);
    const grace = options.orphanGraceMs ?? 60 * 60 * 1000;
    if (grace >= 0) await local.sweepStaleStaging(grace, options.log);
    return local;
  }
  const dest = new S3Destination(to, runId, options.s3 ?? {}, options.log);
  await dest.probe();
  const grace = options.orphanGraceMs ?? 60 * 60 * 1000;
  if (grace >= 0) {
    await dest.sweepOrphanedUploads(grace).catch((err: unknown) =>
      options.log?.warn('could not check for multipart uploads left by earlier runs', { error: err instanceof Error ? err.message : String(err) }),
    );
  }
  return dest;
}
