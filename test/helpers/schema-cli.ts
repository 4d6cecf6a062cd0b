import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** `clerk-etl schema <args>` in this process, with what it printed. */
export async function schemaCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'clerk-etl', 'schema', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** The statements of a DDL output by table, split at each `-- <table>: ` comment. */
export function ddlBlocks(sql: string): Map<string, string> {
  const parts = sql.split(/^(?=-- \w+: )/m).slice(1);
  return new Map(parts.map((p) => [/^-- (\w+): /.exec(p)![1]!, p]));
}
