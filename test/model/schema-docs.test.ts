import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaJson, schemaMarkdown, schemaSql } from '../../src/transform/schema-render.js';
import { ALL_TABLES as TABLES } from '../../src/model/schema.js';

describe('schema output', () => {
  it('docs/TABLES.md is generated from the schema in code (run `npm run docs` after changing it)', () => {
    expect(readFileSync(new URL('../../docs/TABLES.md', import.meta.url), 'utf8')).toBe(schemaMarkdown());
  });

  it('JSON and SQL list every table and column', () => {
    const json = JSON.parse(schemaJson()) as { tables: Array<{ name: string; columns: Array<{ name: string }> }> };
    expect(json.tables.map((t) => t.name)).toEqual(TABLES.map((t) => t.name));
    const sql = schemaSql();
    for (const t of TABLES) {
      expect(sql).toContain(`CREATE TABLE "${t.name}"`);
      for (const c of t.columns) expect(sql).toContain(`"${c.name}"`);
    }
    expect(sql).toContain('"created_at" TIMESTAMP WITH TIME ZONE NOT NULL');
  });

  it('column names are unique within each table', () => {
    for (const t of TABLES) expect(new Set(t.columns.map((c) => c.name)).size, t.name).toBe(t.columns.length);
  });
});
