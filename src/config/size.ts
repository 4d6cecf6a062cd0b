/**
 * Sizes as people write them: `134217728`, `128MiB`, `512MB`, `1G`, `1.5g`.
 *
 * Every unit is binary (K = 1024, M = 1024², G = 1024³, T = 1024⁴) whether or not it has the `i`,
 * exactly as the `--max-file-bytes` / `--s3-part-size` flags read them, so a size means the same
 * in a flag and in a config file. `B` alone means bytes.
 */
const SIZE = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(i?b)?|b)?$/i;

const UNIT = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

/** Bytes of a size written as text, rounded to a whole byte; `undefined` when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT[(m[2] ?? '').toLowerCase() as keyof typeof UNIT];
  return Math.round(Number(m[1]) * unit);
}

/** `8388608` → `8MiB`, `1000` → `1000B`: for messages about sizes. */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [['TiB', UNIT.t], ['GiB', UNIT.g], ['MiB', UNIT.m], ['KiB', UNIT.k]] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return `${bytes}B`;
}
