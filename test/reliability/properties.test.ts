/**
 * Property-based tests (fast-check) of the transform, the writers and the import mapping.
 *
 * Reproduce a failure with the seed and path fast-check prints: `FC_SEED=<seed> FC_PATH=<path> npx vitest run
 * test/reliability/properties.test.ts`. `FC_RUNS_FACTOR=10` runs every property ten times as often.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/clerk/types.js';
import { executeExport } from '../../src/cli/export.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { OutputFile } from '../../src/load/destination.js';
import { createTableWriter, escapeFormula } from '../../src/load/formats.js';
import { LocalDestination } from '../../src/load/local-destination.js';
import { silentLogger } from '../../src/log.js';
import { flattenUsers, type Row } from '../../src/transform/flatten-user.js';
import { fromClerkUser, toCreateBody } from '../../src/transform/import-user.js';
import { TABLES, USER, type Column, type FieldSpec, type TableSchema } from '../../src/transform/schema.js';
import { validateUser } from '../../src/transform/validate-user.js';
import { readCsv, readNdjson, readParquet } from '../helpers/read-back.js';
import { importableUsersArb, jsonValue, userArb, usersArb } from './arbitraries.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-props-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FACTOR = Number(process.env.FC_RUNS_FACTOR ?? 1);
/** fast-check parameters: `runs` scaled by FC_RUNS_FACTOR; FC_SEED / FC_PATH replay a failure. */
function params(runs: number): fc.Parameters<unknown> {
  const p: fc.Parameters<unknown> = { numRuns: Math.max(1, Math.round(runs * FACTOR)) };
  if (process.env.FC_SEED) p.seed = Number(process.env.FC_SEED);
  if (process.env.FC_PATH) p.path = process.env.FC_PATH;
  return p;
}

const CTX = { runId: 'run_props', extractedAt: Date.UTC(2026, 4, 12, 10, 30) };
const iso = (ms: number): string => new Date(ms).toISOString();
let runCounter = 0;

// --- writing and reading back -------------------------------------------------------------------

type TextFormat = 'csv' | 'ndjson' | 'parquet';

/** Write every table in `format` through LocalDestination + createTableWriter; the published file per table. */
async function writeTables(rows: Map<string, Row[]>, format: TextFormat, formulaEscape: boolean): Promise<Map<string, string>> {
  const runId = `r${++runCounter}`;
  const root = path.join(dir, runId);
  const dest = new LocalDestination(root, runId);
  const files = new Map<string, string>();
  for (const table of TABLES) {
    const file = dest.createFile(`${table.name}/part-0.${format}`);
    // Small row groups so multi-group files happen too.
    const w = createTableWriter(format, table, file, { rowGroupSize: 3 }, { formulaEscape });
    const all = rows.get(table.name)!;
    // Two batches: the writers must not depend on one call per file.
    await w.writeRows(all.slice(0, 2));
    await w.writeRows(all.slice(2));
    const written = await w.finish();
    files.set(table.name, path.join(root, written.path));
  }
  await dest.publish();
  return files;
}

/**
 * A strict RFC 4180 reader, independent of papaparse, that keeps what papaparse loses: whether a cell
 * was quoted. Records end with CRLF; a quote may only open a cell; CR and LF only inside quotes.
 */
function parseCsvStrict(text: string): Array<Array<{ value: string; quoted: boolean }>> {
  const records: Array<Array<{ value: string; quoted: boolean }>> = [];
  let record: Array<{ value: string; quoted: boolean }> = [];
  let i = 0;
  for (;;) {
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted cell');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`quote inside an unquoted cell at ${i}`);
        value += text[i++];
      }
    }
    record.push({ value, quoted });
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
      if (i === text.length) return records;
      continue;
    }
    throw new Error(`expected , or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 5))}`);
  }
}

/** The value a reader of `format` must give back for a flattened value of a column. */
function expectedCell(format: TextFormat, c: Column, v: unknown, escape: boolean): unknown {
  if (v === null) return format === 'csv' ? '' : null;
  switch (c.type) {
    case 'timestamp':
      return format === 'parquet' ? (v as number) : iso(v as number); // Parquet: compared by getTime()
    case 'int64':
      return format === 'parquet' ? BigInt(v as number) : format === 'csv' ? String(v) : v;
    case 'boolean':
      return format === 'csv' ? String(v) : v;
    case 'string':
    case 'json':
      return format === 'csv' && escape ? escapeFormula(v as string) : v;
  }
}

interface Mismatch {
  table: string;
  format: TextFormat;
  row: number;
  column: string;
  expected: unknown;
  actual: unknown;
}

function compareTable(table: TableSchema, format: TextFormat, rows: Row[], got: Array<Record<string, unknown>>, escape: boolean, out: Mismatch[]): void {
  if (got.length !== rows.length) {
    out.push({ table: table.name, format, row: -1, column: '(row count)', expected: rows.length, actual: got.length });
    return;
  }
  rows.forEach((row, r) => {
    const names = Object.keys(got[r]!);
    if (names.join(',') !== table.columns.map((c) => c.name).join(',')) out.push({ table: table.name, format, row: r, column: '(columns)', expected: table.columns.map((c) => c.name), actual: names });
    table.columns.forEach((c, i) => {
      const want = expectedCell(format, c, row[i], escape);
      let actual = got[r]![c.name];
      if (format === 'parquet' && c.type === 'timestamp' && actual instanceof Date) actual = actual.getTime();
      if (!Object.is(actual, want) && !(typeof actual === 'bigint' && actual === want)) out.push({ table: table.name, format, row: r, column: c.name, expected: want, actual });
    });
  });
}

/** Null stays an empty unquoted cell, and an empty string a quoted `""`, in every CSV file. */
function compareCsvNulls(table: TableSchema, file: string, text: string, rows: Row[], out: Mismatch[]): void {
  const records = parseCsvStrict(text);
  const header = records[0]!.map((x) => x.value);
  if (header.join(',') !== table.columns.map((c) => c.name).join(',')) out.push({ table: table.name, format: 'csv', row: -1, column: '(header)', expected: table.columns.map((c) => c.name), actual: header });
  rows.forEach((row, r) => {
    table.columns.forEach((c, i) => {
      const cell = records[r + 1]?.[i];
      const v = row[i];
      if (v === null && (cell?.value !== '' || cell.quoted)) out.push({ table: table.name, format: 'csv', row: r, column: c.name, expected: '(empty unquoted cell for null)', actual: cell });
      if (v === '' && !cell?.quoted) out.push({ table: table.name, format: 'csv', row: r, column: c.name, expected: '(quoted "" for an empty string)', actual: cell });
    });
  });
  if (records.length !== rows.length + 1) out.push({ table: table.name, format: 'csv', row: -1, column: `(records in ${file})`, expected: rows.length + 1, actual: records.length });
}

async function roundTrip(users: ClerkUser[], formats: TextFormat[], escape: boolean): Promise<Mismatch[]> {
  const flat = flattenUsers(users, CTX) as Map<string, Row[]>;
  const mismatches: Mismatch[] = [];
  for (const format of formats) {
    const files = await writeTables(flat, format, escape);
    for (const table of TABLES) {
      const file = files.get(table.name)!;
      const rows = flat.get(table.name)!;
      if (format === 'csv') {
        compareTable(table, format, rows, readCsv(file), escape, mismatches);
        const { readFileSync } = await import('node:fs');
        compareCsvNulls(table, file, readFileSync(file, 'utf8'), rows, mismatches);
      } else if (format === 'ndjson') {
        compareTable(table, format, rows, readNdjson(file), escape, mismatches);
      } else {
        compareTable(table, format, rows, await readParquet(file), escape, mismatches);
      }
    }
  }
  return mismatches;
}

/** An OutputFile that keeps nothing: for properties that only care whether writing throws. */
function nullFile(p: string): OutputFile {
  let bytes = 0;
  return {
    path: p,
    get bytes() {
      return bytes;
    },
    write: async (chunk) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    },
    close: async () => ({ path: p, bytes, sha256: '' }),
  };
}

async function writeEverywhere(users: ClerkUser[]): Promise<void> {
  const flat = flattenUsers(users, CTX);
  for (const format of ['csv', 'ndjson', 'parquet'] as const) {
    for (const table of TABLES) {
      const w = createTableWriter(format, table, nullFile(`${table.name}.${format}`));
      await w.writeRows(flat.get(table.name)!);
      await w.finish();
    }
  }
}

// --- the properties ----------------------------------------------------------------------------

describe('the User arbitrary', () => {
  it('every generated user (any safe-integer timestamps) passes validateUser', () => {
    fc.assert(
      fc.property(userArb(), (u) => {
        expect(validateUser(u, 1000)).toEqual([]);
      }),
      params(200),
    );
  });

  it('covers the schema: every column of every table gets non-null values and nulls across a sample', () => {
    const users = fc.sample(usersArb({ timestamps: 'date' }), { numRuns: 300, seed: 42 }).flat();
    const flat = flattenUsers(users, CTX);
    const neverSet: string[] = [];
    for (const table of TABLES) {
      const rows = flat.get(table.name)!;
      expect(rows.length, table.name).toBeGreaterThan(0);
      table.columns.forEach((c, i) => {
        if (!rows.some((r) => r[i] !== null)) neverSet.push(`${table.name}.${c.name}`);
      });
    }
    expect(neverSet).toEqual([]);
  });
});

describe('flatten → CSV / NDJSON / Parquet → read back', () => {
  it('gives back every value of every column of every row exactly (CSV without formula escaping)', async () => {
    await fc.assert(
      fc.asyncProperty(usersArb({ timestamps: 'date' }), async (users) => {
        const mismatches = await roundTrip(users, ['csv', 'ndjson', 'parquet'], false);
        expect(mismatches).toEqual([]);
      }),
      params(30),
    );
  });

  it('CSV with formula escaping (the default): every text cell reads back as escapeFormula(original), other cells exact', async () => {
    await fc.assert(
      fc.asyncProperty(usersArb({ timestamps: 'date' }), async (users) => {
        const mismatches = await roundTrip(users, ['csv'], true);
        expect(mismatches).toEqual([]);
      }),
      params(30),
    );
  });
});

describe('nothing throws on what it is given', () => {
  it('validateUser returns problems, never throws, for any JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything({ withNullPrototype: true, withSparseArray: true, withUnicodeString: true })), (v) => {
        const problems = validateUser(v);
        expect(Array.isArray(problems)).toBe(true);
        for (const p of problems) expect(typeof p.field === 'string' && typeof p.problem === 'string').toBe(true);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) expect(problems.length).toBeGreaterThan(0);
      }),
      params(500),
    );
  });

  it('validateUser reports exactly the User field that one replaced JSON value (or a removal) makes invalid', () => {
    const scalarFields = USER.fields.filter((f) => f.kind !== 'array' && f.kind !== 'object');
    const fits = (f: FieldSpec, v: unknown): boolean => {
      if (v === undefined) return !f.required;
      if (v === null) return f.nullable;
      if (f.kind === 'string') return typeof v === 'string';
      if (f.kind === 'boolean') return typeof v === 'boolean';
      return typeof v === 'number' && Number.isSafeInteger(v);
    };
    fc.assert(
      fc.property(userArb(), fc.constantFrom(...scalarFields), fc.option(jsonValue, { nil: undefined, freq: 5 }), (user, f, v) => {
        const u = { ...user } as Record<string, unknown>;
        if (v === undefined) delete u[f.key];
        else u[f.key] = v;
        const named = validateUser(u, 1000).map((p) => p.field);
        expect(named).toEqual(fits(f, v) ? [] : [f.key]);
      }),
      params(300),
    );
  });

  it('validateUser never throws when any one value anywhere in a user is replaced by a random JSON value', () => {
    /** Every [container, key] of a JSON tree, depth first. */
    const slots = (v: unknown, out: Array<[Record<string | number, unknown>, string | number]> = []) => {
      if (v && typeof v === 'object') {
        for (const k of Object.keys(v)) {
          const key = Array.isArray(v) ? Number(k) : k;
          out.push([v as Record<string | number, unknown>, key]);
          slots((v as Record<string, unknown>)[k], out);
        }
      }
      return out;
    };
    fc.assert(
      fc.property(userArb(), fc.nat(), fc.oneof(jsonValue, fc.constant(undefined)), (user, pick, v) => {
        const u = structuredClone(user);
        const all = slots(u);
        const [container, key] = all[pick % all.length]!;
        if (v === undefined && !Array.isArray(container)) delete container[key];
        else container[key] = v;
        const problems = validateUser(u);
        expect(problems.length).toBeLessThanOrEqual(10);
      }),
      params(300),
    );
  });

  it('flattenUsers and every writer accept any valid user whose timestamps are within the Date range', async () => {
    await fc.assert(
      fc.asyncProperty(usersArb({ timestamps: 'date' }), async (users) => {
        await writeEverywhere(users);
      }),
      params(100),
    );
  });
});

describe('map → create body → emulator → export', () => {
  it('keeps identifiers (primary first), names, metadata, created_at, settings and external_id', async () => {
    await fc.assert(
      fc.asyncProperty(importableUsersArb(3), async (sources) => {
        const em = await startEmulator({ users: 0 });
        try {
          const createdIds = new Map<string, ClerkUser>();
          for (const src of sources) {
            expect(validateUser(src)).toEqual([]);
            const mapped = fromClerkUser(src);
            expect(mapped.problems).toEqual([]);
            const { body, problems } = toCreateBody(mapped.user!);
            expect(problems).toEqual([]);
            const res = await fetch(`${em.url}/v1/users`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${em.secretKey}`, 'Content-Type': 'application/json' },
              body: JSON.stringify(body),
            });
            const answer = (await res.json()) as ClerkUser;
            expect(res.status, JSON.stringify(answer)).toBe(200);
            createdIds.set(answer.id, src);
          }
          // Read the users back the way a migration would check them: a raw export of the instance.
          const to = path.join(dir, `import-${++runCounter}`);
          const out = await executeExport(
            { to, formats: ['raw'], inputFormat: 'auto', apiUrl: em.url, secretKey: em.secretKey, concurrency: 1, rateLimit: { requests: 100_000, windowMs: 1000 }, progress: false },
            silentLogger,
            new AbortController().signal,
          );
          const m = out.result!.manifest;
          expect(m.counts).toMatchObject({ read: sources.length, written: sources.length, rejected: 0 });
          const exported = readNdjson(path.join(to, m.files.find((f) => f.table === 'raw_users')!.path)) as ClerkUser[];
          expect(exported.map((u) => u.id).sort()).toEqual([...createdIds.keys()].sort());
          for (const got of exported) expectSameUser(createdIds.get(got.id)!, got);
          rmSync(to, { recursive: true, force: true });
        } finally {
          await em.close();
        }
      }),
      params(20),
    );
  });
});

type Rec = Record<string, unknown>;

/** The source's items with the primary one first (the order the create call sends them in). */
function primaryFirst(items: unknown, primaryId: unknown): Rec[] {
  const list = items as Rec[];
  const p = list.find((x) => x.id !== undefined && x.id === primaryId);
  return p ? [p, ...list.filter((x) => x !== p)] : list;
}
const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** JSON text cannot tell -0 from 0 (JSON.stringify(-0) is "0"); compare what JSON can carry. */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function expectSameUser(src: ClerkUser, got: ClerkUser): void {
  const s = src as Rec;
  const g = got as Rec;
  const emails = primaryFirst(s.email_addresses, s.primary_email_address_id);
  const gotEmails = g.email_addresses as Rec[];
  expect(gotEmails.map((e) => e.email_address)).toEqual(emails.map((e) => e.email_address));
  expect(gotEmails.map((e) => (e.verification as Rec).status === 'verified')).toEqual(emails.map((e) => (e.verification as Rec | null)?.status === 'verified'));
  expect(g.primary_email_address_id).toBe(gotEmails[0]?.id ?? null);
  const phones = primaryFirst(s.phone_numbers, s.primary_phone_number_id);
  const gotPhones = g.phone_numbers as Rec[];
  expect(gotPhones.map((p) => p.phone_number)).toEqual(phones.map((p) => p.phone_number));
  expect(gotPhones.map((p) => (p.verification as Rec).status === 'verified')).toEqual(phones.map((p) => (p.verification as Rec | null)?.status === 'verified'));
  expect(g.primary_phone_number_id).toBe(gotPhones[0]?.id ?? null);
  expect((g.web3_wallets as Rec[]).map((w) => w.web3_wallet)).toEqual(primaryFirst(s.web3_wallets, s.primary_web3_wallet_id).map((w) => w.web3_wallet));
  expect(g.username).toBe(nonEmpty(s.username));
  expect(g.first_name).toBe(s.first_name);
  expect(g.last_name).toBe(s.last_name);
  expect(g.locale).toBe(nonEmpty(s.locale));
  expect(g.public_metadata).toEqual(viaJson(s.public_metadata));
  expect(g.private_metadata).toEqual(viaJson(s.private_metadata ?? {}));
  expect(g.unsafe_metadata).toEqual(viaJson(s.unsafe_metadata ?? {}));
  expect(g.created_at).toBe(s.created_at);
  expect(g.legal_accepted_at).toBe(s.legal_accepted_at);
  expect(g.external_id).toBe(nonEmpty(s.external_id) ?? s.id);
  expect(g.banned).toBe(s.banned);
  expect(g.locked).toBe(s.locked);
  expect(g.delete_self_enabled).toBe(s.delete_self_enabled);
  expect(g.create_organization_enabled).toBe(s.create_organization_enabled);
  expect(g.create_organizations_limit).toBe(typeof s.create_organizations_limit === 'number' ? s.create_organizations_limit : null);
  expect(g.bypass_client_trust).toBe(s.bypass_client_trust === true);
}

import { writeFileSync } from 'node:fs';
import { executeImport } from '../../src/cli/import.js';
describe('SCRATCH explore', () => {
  it('explore', async () => {
    const good = { id: 'user_a', object: 'user', username: 'ann', first_name: 'A', created_at: 1, updated_at: 1 };
    const bad = { ...good, id: 'user_b', username: 'bob', created_at: 8.64e15 + 1 };
    const bad2 = { ...good, id: 'user_c', username: 'cee', created_at: 253402300800000 };
    const file = path.join(dir, 'imp.ndjson');
    writeFileSync(file, [good, bad, bad2].map((x) => JSON.stringify(x)).join('\n') + '\n');
    for (const dryRun of [true, false]) {
      const em = await startEmulator({ users: 0 });
      try {
        const s = await executeImport({ from: file, inputFormat: 'raw', reportDir: path.join(dir, 'rep' + dryRun), onConflict: 'skip', dryRun, apiUrl: em.url, secretKey: em.secretKey, concurrency: 1, rateLimit: { requests: 100_000, windowMs: 1000 }, externalId: 'source', progress: false }, silentLogger, new AbortController().signal);
        console.log(dryRun, JSON.stringify(s.counts));
      } catch (e) { console.log(dryRun, 'THREW', (e as any).code, String(e)); }
      finally { await em.close(); }
    }
  }, 120_000);
});
