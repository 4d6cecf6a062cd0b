import { EtlError, redactUrl } from './errors.js';

/** Where a run reads and writes: a local path, or `s3://…` for the flags that take it (export output, state). */
export function isS3Url(to: string): boolean {
  return to.startsWith('s3://');
}

/** What each location flag takes, for the message that refuses anything else. */
const SUPPORTED: Record<'--to' | 'export --to' | 'load --from' | '--state' | '--from' | '--report', { schemes: string[]; text: string }> = {
  '--to': { schemes: ['s3'], text: 'a local folder or s3://bucket/prefix' },
  // export --to: also a PostgreSQL mirror (pipeline/export.ts opens it; no destination takes it).
  'export --to': { schemes: ['s3', 'postgres', 'postgresql'], text: 'a local folder, s3://bucket/prefix or postgres://host:port/db?schema=…' },
  '--state': { schemes: ['s3'], text: 'a local file or s3://bucket/key' },
  'load --from': { schemes: ['s3'], text: 'a local export folder or s3://bucket/prefix' },
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
  const name = flag.replace(/^(export|load) /, '');
  throw new EtlError('USAGE', `${name} ${redactUrl(value)}: the scheme "${m[1]}://" is not supported. ${name} takes ${text}.`);
}
