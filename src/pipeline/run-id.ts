import { randomBytes } from 'node:crypto';

/** Run ids sort by time and contain no `:` (file names on every OS, S3 keys). */
export function newRunId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
