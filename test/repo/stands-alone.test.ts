import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The repository stands alone: a clone with nothing beside it passes its tests. So no file under
 * src/, test/, bench/ or .ci/ reads or names a path outside the repository: no relative path that
 * climbs above the root, no absolute path of a machine, no reference folder that sits beside the
 * checkout on some machines. The facts such folders held are in docs/; the fixtures in test/fixtures/.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['src', 'test', 'bench', '.ci'];
const CODE = /\.(ts|mts|cts|js|mjs|cjs|sh)$|^run$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'node_modules' ? [] : files(p);
    return CODE.test(name) ? [p] : [];
  });
}

// Built from parts so that this file does not name them itself.
const NAMED = [
  ['..', 'shared'].join('/'),
  ['shared', 'clerk'].join('/'),
  ['shared', 'DESIGN.md'].join('/'),
  ['DEPENDENCIES', 'md'].join('.'),
  ['', 'work', ''].join('/'),
];

/** Names of outside folders, and relative path literals that resolve above the root, in `text` (a file in `dir`). */
function outsidePaths(text: string, dir: string, label: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const name of NAMED) if (line.includes(name)) problems.push(`${label}:${i + 1}: names "${name}"`);
    for (const m of line.matchAll(/['"`]((?:\.\.\/)+[^'"`]*)['"`]/g)) {
      if (path.relative(root, path.resolve(dir, m[1]!)).startsWith('..')) problems.push(`${label}:${i + 1}: "${m[1]}" is outside the repository`);
    }
  });
  return problems;
}

describe('the repository stands alone', () => {
  it('no file under src/, test/, bench/ or .ci/ reads or names a path outside the repository', () => {
    const scanned = SCANNED.flatMap((d) => files(path.join(root, d)));
    expect(scanned.length).toBeGreaterThan(100);
    expect(scanned.flatMap((f) => outsidePaths(readFileSync(f, 'utf8'), path.dirname(f), path.relative(root, f)))).toEqual([]);
  });

  it('the check finds what it looks for', () => {
    const up = ['..', '..', '..'].join('/');
    const text = [`const a = '${up}/${NAMED[1]}/x.json';`, `// see ${NAMED[3]}`, "const ok = '../fixtures/clerk/x.json';"].join('\n');
    expect(outsidePaths(text, path.join(root, 'test', 'repo'), 'probe')).toEqual([
      `probe:1: names "${NAMED[0]}"`,
      `probe:1: names "${NAMED[1]}"`,
      `probe:1: "${up}/${NAMED[1]}/x.json" is outside the repository`,
      `probe:2: names "${NAMED[3]}"`,
    ]);
  });
});
