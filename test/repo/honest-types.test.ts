import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Types that tell the truth: no file under src/ silences the type checker with a double cast or a
 * cast to `never`. A value whose shape is not known is typed `unknown` (or UncheckedUser) and checked;
 * a library's types that do not fit are bridged in one adapter that says what it relies on. No
 * allowance list: every occurrence fails.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|mts|cts)$/.test(name) ? [p] : [];
  });
}

// Built from parts so that this file does not hold them itself.
const FORBIDDEN = [['as', 'unknown', 'as'].join(' '), ['as', 'never'].join(' ')];

/** Every forbidden cast in `text` (`label` names the file), one entry per line and cast. */
function dishonestCasts(text: string, label: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const cast of FORBIDDEN) if (new RegExp(`\\b${cast.replace(/ /g, '\\s+')}\\b`).test(line)) problems.push(`${label}:${i + 1}: "${cast}"`);
  });
  return problems;
}

describe('honest types', () => {
  it('no file under src/ casts through unknown or to never', () => {
    const src = path.join(root, 'src');
    const found = files(src).flatMap((f) => dishonestCasts(readFileSync(f, 'utf8'), path.relative(root, f)));
    expect(found).toEqual([]);
  });

  it('the check finds each cast (so the test above can fail)', () => {
    expect(dishonestCasts(`const a = b ${FORBIDDEN[0]} C;\nconst d = e ${FORBIDDEN[1]};\nconst ok = f as Never;`, 'x.ts')).toEqual(['x.ts:1: "as unknown as"', 'x.ts:2: "as never"']);
  });
});
