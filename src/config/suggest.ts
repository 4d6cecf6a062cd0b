/**
 * "Did you mean …?" for unknown keys and values: the closest candidate by edit distance.
 */

/**
 * Damerau–Levenshtein distance (optimal string alignment: insertions, deletions, substitutions and
 * transpositions of two adjacent characters each cost 1), so `formt` → `format` is 1 and
 * `endpiont` → `endpoint` is 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** `maxFileBytes`, `max-file-bytes` and `max_file_bytes` all normalise to `maxfilebytes`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * The candidate closest to `input`, or `undefined` when none is close enough: at most `maxDistance`
 * edits (default 3), and at most one edit per three characters of the input, so a short word
 * does not "match" an unrelated one (`note` is not `mode`, `xyz` is not `to`). Case, `-` and `_`
 * are ignored too (`maxFileBytes` finds `max_file_bytes`). Ties go to the candidate listed first.
 */
export function closest(input: string, candidates: readonly string[], maxDistance = 3): string | undefined {
  const limit = Math.min(maxDistance, Math.max(1, Math.floor(input.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = Math.min(editDistance(input.toLowerCase(), candidate.toLowerCase()), editDistance(normalizeName(input), normalizeName(candidate)));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
