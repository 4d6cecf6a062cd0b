/**
 * Defaults that the pipeline falls back on and the settings declarations (src/settings/) show in
 * help, the README and the config file: each stated here once.
 */
import { createRequire } from 'node:module';

/** Clerk's Backend API origin (docs/clerk-api.md). */
export const DEFAULT_API_URL = 'https://api.clerk.com';

/** An incremental run re-reads users updated this long before the last watermark (clock skew, slow writes). */
export const DEFAULT_OVERLAP_MINUTES = 10;

/** A state lock older than this is taken over: its run is presumed dead. */
export const DEFAULT_LOCK_TTL_MINUTES = 360;

/** At start, multipart uploads and staged files of earlier runs older than this are cleaned up. */
export const DEFAULT_ORPHAN_GRACE_MINUTES = 60;

/** All Parquet tables together hold this many bytes of values before a row group closes early. */
export const DEFAULT_PARQUET_BUFFER_BYTES = 32 * 1024 * 1024;

/** The package's version, from its package.json (two folders up, in src/ and in dist/ alike). */
export const PACKAGE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The `User-Agent` of Clerk API requests unless `--user-agent` says otherwise. */
export const DEFAULT_USER_AGENT = `clerk-etl/${PACKAGE_VERSION}`;
