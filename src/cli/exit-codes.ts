import { EtlError, type EtlErrorCode } from '../errors.js';

/** Documented exit codes (README "Exit codes"). Scripts depend on them: keep them stable. */
export const EXIT = {
  OK: 0,
  /** The run failed; nothing was published. */
  FAILED: 1,
  /** Bad command line or configuration. */
  USAGE: 2,
  /** The run finished and published its output, but some records were rejected (see the rejects file). */
  REJECTED: 3,
  /** Incremental run: no user changed since the last run; nothing written, the watermark moved on. */
  NOTHING_TO_DO: 4,
  /** Another run holds the lock on the state; this one did nothing. */
  LOCKED: 5,
  /** Finished and published with warnings: schema drift under --schema-contract freeze. */
  WARNINGS: 6,
  /** The run finished and published, but the --summary-file could not be written (monitoring would see nothing). */
  SUMMARY_NOT_WRITTEN: 7,
  /** A temporary failure (rate limit, network, Clerk 5xx) outlasted the retries: run again later. */
  TEMPORARY: 75,
  /** Clerk rejected the secret key. */
  AUTH: 77,
  /** Interrupted (SIGINT/SIGTERM); nothing was published. */
  INTERRUPTED: 130,
} as const;

const BY_CODE: Partial<Record<EtlErrorCode, number>> = {
  USAGE: EXIT.USAGE,
  CONFIG_INVALID: EXIT.USAGE,
  CLERK_AUTH: EXIT.AUTH,
  CLERK_RATE_LIMITED: EXIT.TEMPORARY,
  CLERK_NETWORK: EXIT.TEMPORARY,
  CLERK_TIMEOUT: EXIT.TEMPORARY,
  ABORTED: EXIT.INTERRUPTED,
  LOCKED: EXIT.LOCKED,
};

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof EtlError)) return EXIT.FAILED;
  const mapped = BY_CODE[err.code];
  if (mapped !== undefined) return mapped;
  if ((err.code === 'CLERK_HTTP' || err.code === 'CLERK_BAD_RESPONSE') && err.retryable) return EXIT.TEMPORARY;
  return EXIT.FAILED;
}
