import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagTable, renderFlagTables } from '../../src/settings/readme.js';

describe('README flag tables', () => {
  it('are generated from the settings declarations (run `npm run docs:flags` after changing one)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(renderFlagTables(readme));
  });

  it('list every table the README marks, each with its rows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const tables = [...readme.matchAll(/<!-- flags:([a-z0-9-]+):start -->/g)].map((m) => m[1]);
    expect(tables).toEqual(['export', 'scheduling', 's3', 'governance', 'load', 'import']);
    for (const t of tables) expect(flagTable(t!).split('\n').length, t).toBeGreaterThan(3);
    expect(flagTable('export')).toContain('| `--max-file-bytes <size>` | `128MiB` | `export.max_file_bytes` |');
  });
});
