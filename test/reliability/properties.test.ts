/**
 * Property-based tests (fast-check) of the transform, the writers and the import mapping.
 *
 * Reproduce a failure with the seed and path fast-check prints: `FC_SEED=<seed> FC_PATH=<path> npx vitest run
 * test/reliability/properties.test.ts`. `FC_RUNS_FACTOR=10` runs every property ten times as often.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { executeExport } from '../../src/pipeline/export.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { OutputFile } from '../../src/load/destination.js';
import { createTableWriter, escapeFormula } from '../../src/load/formats.js';
import { LocalDestination } from '../../src/load/local-destination.js';
import { silentLogger } from '../../src/log.js';
import { flattenUsers } from '../../src/transform/flatten-user.js';
import { type Row } from '../../src/model/records.js';
import { fromClerkUser, toCreateBody } from '../../src/transform/import-user.js';
import { TABLES, USER, type Column, type FieldSpec, type TableSchema } from '../../src/model/schema.js';
import { findProblems, isValidUser, validateUser } from '../../src/transform/validate-user.js';
import { readCsv, readNdjson } from '../helpers/read-back.js';
import { importableUsersArb, jsonValue, looseImportableUserArb, RFC3339_MAX_MS, userArb, usersArb } from './arbitraries.js';
import { published } from '../helpers/export-run.js';

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
async function writeTables(rows: Map<string, Row[]>, format: TextFormat, formulaEscape: boolean): Promise<{ root: string; files: Map<string, string> }> {
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
  return { root, files };
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

/**
 * Parquet read back with hyparquet, strings decoded without dropping a leading U+FEFF: hyparquet's
 * default `new TextDecoder()` strips it (`"\ufeffabc"` reads back as `"abc"`; the bytes in the file are
 * right, DuckDB reads them back exactly). test/helpers/read-back.ts `readParquet` has that problem.
 */
async function readParquetExact(file: string): Promise<Array<Record<string, unknown>>> {
  const buf = readFileSync(file);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  return (await parquetReadObjects({
    file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
    parsers: { stringFromBytes: (b: Uint8Array) => b && decoder.decode(b) },
  })) as Array<Record<string, unknown>>;
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
    const { root, files } = await writeTables(flat, format, escape);
    for (const table of TABLES) {
      const file = files.get(table.name)!;
      const rows = flat.get(table.name)!;
      if (format === 'csv') {
        compareTable(table, format, rows, readCsv(file), escape, mismatches);
        compareCsvNulls(table, file, readFileSync(file, 'utf8'), rows, mismatches);
      } else if (format === 'ndjson') {
        compareTable(table, format, rows, readNdjson(file), escape, mismatches);
      } else {
        compareTable(table, format, rows, await readParquetExact(file), escape, mismatches);
      }
    }
    rmSync(root, { recursive: true, force: true });
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
  it('every generated user passes validateUser; a timestamp beyond the Date range (±8.64e15 ms) is rejected by name', () => {
    fc.assert(
      fc.property(userArb(), (u) => {
        expect(validateUser(u, 1000)).toEqual([]);
      }),
      params(200),
    );
    fc.assert(
      fc.property(userArb(), fc.constantFrom('created_at', 'updated_at', 'last_sign_in_at'), fc.integer({ min: 8_640_000_000_000_001, max: Number.MAX_SAFE_INTEGER }), (u, key, ms) => {
        expect(validateUser({ ...u, [key]: ms }, 1000).map((p) => p.field)).toEqual([key]);
      }),
      params(100),
    );
  });

  it('covers the schema: every column of every table gets non-null values and nulls across a sample', () => {
    const users = fc.sample(usersArb({ timestamps: 'date', unknownFields: true }), { numRuns: 150, seed: 42 }).flat();
    const flat = flattenUsers(users, CTX);
    const neverSet: string[] = [];
    for (const table of TABLES) {
      const rows = flat.get(table.name)!;
      expect(rows.length, table.name).toBeGreaterThan(0);
      // Columns of a required, non-null nested object's required, non-null fields are never null.
      const alwaysSet = new Set(
        (table.entity?.objects ?? []).filter((o) => o.required && !o.nullable).flatMap((o) => o.fields.filter((f) => f.required && !f.nullable).map((f) => `${o.key}_${f.key}`)),
      );
      table.columns.forEach((c, i) => {
        if (!rows.some((r) => r[i] !== null)) neverSet.push(`${table.name}.${c.name} (never set)`);
        if (c.nullable && !alwaysSet.has(c.name) && !rows.some((r) => r[i] === null)) neverSet.push(`${table.name}.${c.name} (never null)`);
      });
    }
    expect(neverSet).toEqual([]);
  });
});

describe('flatten → CSV / NDJSON / Parquet → read back', () => {
  it('gives back every value of every column of every row exactly (CSV without formula escaping)', async () => {
    await fc.assert(
      fc.asyncProperty(usersArb({ timestamps: 'date', unknownFields: true }), async (users) => {
        const mismatches = await roundTrip(users, ['csv', 'ndjson', 'parquet'], false);
        expect(mismatches).toEqual([]);
      }),
      params(50),
    );
  });

  it('CSV with formula escaping (the default): every text cell reads back as escapeFormula(original), other cells exact', async () => {
    await fc.assert(
      fc.asyncProperty(usersArb({ timestamps: 'date', unknownFields: true }), async (users) => {
        const mismatches = await roundTrip(users, ['csv'], true);
        expect(mismatches).toEqual([]);
      }),
      params(40),
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
      return typeof v === 'number' && Number.isSafeInteger(v) && (f.type !== 'timestamp' || Math.abs(v) <= 8.64e15);
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
        // The allocation-free check agrees with the detailed one.
        expect(isValidUser(u)).toBe(findProblems(u).length === 0);
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
          // The run "starts" after year 9999: a full export only reads users created before its start,
          // and generated created_at values go up to 9999-12-31 (see the FINDING test below).
          const to = path.join(dir, `import-${++runCounter}`);
          const out = await executeExport(
            {
              to,
              formats: ['raw'],
              inputFormat: 'auto',
              apiUrl: em.url,
              secretKey: em.secretKey,
              concurrency: 1,
              rateLimit: { requests: 100_000, windowMs: 1000 },
              progress: false,
              startedAt: RFC3339_MAX_MS + 1,
              runId: `props-${runCounter}`,
            },
            silentLogger,
            new AbortController().signal,
          );
          const m = published(out).result.manifest;
          expect(m.counts).toMatchObject({ read: sources.length, written: sources.length, rejected: 0 });
          const exported = readNdjson(path.join(to, m.files.find((f) => f.table === 'raw_users')!.path)) as ClerkUser[];
          expect(exported.map((u) => u.id).sort()).toEqual([...createdIds.keys()].sort());
          for (const got of exported) expectSameUser(createdIds.get(got.id)!, got);
          rmSync(to, { recursive: true, force: true });
        } finally {
          await em.close();
        }
      }),
      params(30),
    );
  });

  it('the mapper never reports a problem for a user Clerk (the emulator) accepts: no false local rejections', async () => {
    // Loose identifiers and locales, from valid to garbage. The converse does not hold by design: the
    // mapper's checks are pragmatic (e-mail shape, no locale check) and Clerk has the last word.
    const em = await startEmulator({ users: 0 });
    try {
      await fc.assert(
        fc.asyncProperty(looseImportableUserArb('date'), async (src) => {
          const mapped = fromClerkUser(src);
          expect(mapped.problems).toEqual([]);
          const { body, problems } = toCreateBody(mapped.user!);
          // A time RFC 3339 cannot express is left out of the body and reported: there is nothing Clerk could accept.
          if (problems.some((p) => p.field === 'created_at' || p.field === 'legal_accepted_at')) return;
          const res = await fetch(`${em.url}/v1/users`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${em.secretKey}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          });
          const answer = (await res.json()) as { id: string };
          if (res.status !== 200) return;
          await fetch(`${em.url}/v1/users/${answer.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${em.secretKey}` } });
          expect(problems, 'the emulator accepted this body').toEqual([]);
        }),
        params(150),
      );
    } finally {
      await em.close();
    }
  });
});

// --- bugs the properties found (minimal counterexamples) -----------------------------------------

/** The smallest valid user: required fields only, null where nullable, else '' / false / 0 / {} / []; then `patch`. */
function minimalUser(patch: Record<string, unknown>, check = true): ClerkUser {
  const empty = { string: '', boolean: false, integer: 0, object: {}, array: [], any: null } as const;
  const u: Record<string, unknown> = {};
  for (const f of USER.fields) if (f.required) u[f.key] = f.nullable ? null : structuredClone(empty[f.kind]);
  const user = { ...u, id: 'user_min', object: 'user', ...patch } as ClerkUser;
  if (check) expect(validateUser({ ...user, first_name: null })).toEqual([]);
  return user;
}

describe('bugs found by the properties, now fixed (each test failed before its fix)', () => {
  // BUG 1 (src/load/formats.ts isoTimestamp via the CSV and NDJSON writers; src/transform/validate-user.ts):
  // validateUser accepts any safe integer as a timestamp, but `new Date(ms).toISOString()` throws
  // RangeError beyond ±8.64e15 ms. One such user aborts a whole CSV/NDJSON export with an uncoded
  // "RangeError: Invalid time value" (nothing published); Parquet writes it but readers get Invalid Date.
  it('a timestamp beyond the Date range is rejected by validation, naming it, so it never reaches the CSV/NDJSON writers (minimal: updated_at = 8640000000000001)', async () => {
    const u = minimalUser({ updated_at: 8_640_000_000_000_001 }, false);
    expect(validateUser(u)).toEqual([{ field: 'updated_at', problem: 'expected an integer (Unix ms within ±8.64e15), got an integer (8640000000000001)' }]);
    await writeEverywhere([minimalUser({ updated_at: 8_640_000_000_000_000 })]);
  });

  // BUG 2 (src/transform/import-user.ts toCreateBody, rfc3339()): created_at / legal_accepted_at outside
  // the years 0000–9999 are not reported as problems. Beyond ±8.64e15 ms toCreateBody throws RangeError,
  // which src/load/clerk-importer.ts does not catch: one record aborts the whole import, dry runs too.
  // Between year 10000 and that it sends "+010000-01-01T00:00:00.000Z", which Clerk rejects (422
  // form_param_invalid_time) instead of a local RECORD_INVALID.
  it('toCreateBody reports created_at outside the years 0000–9999 as a problem instead of throwing or sending it', () => {
    for (const createdAt of [8_640_000_000_000_001, RFC3339_MAX_MS + 1, -62_167_219_200_001]) {
      const mapped = fromClerkUser(minimalUser({ created_at: createdAt, username: 'ann' }, false));
      let problems: Array<{ field: string }> = [];
      expect(() => ({ problems } = toCreateBody(mapped.user!))).not.toThrow();
      expect(problems.map((p) => p.field)).toContain('created_at');
    }
  });

  // BUG 3 (src/transform/validate-user.ts preview()): a non-JSON value (bigint, function, symbol) in a
  // field makes validateUser throw (JSON.stringify of a bigint throws; of a function or symbol gives
  // undefined, then `.length`). Not reachable from files or the API (JSON), only from library callers.
  it('validateUser returns problems, never throws, for non-JSON values (minimal: first_name = 0n)', () => {
    for (const v of [0n, () => 1, Symbol('s')]) expect(validateUser(minimalUser({ first_name: v }))[0]?.field).toBe('first_name');
  });

  // FINDING 4 (src/cli/export.ts + src/extract/clerk-api-source.ts, by design?): a full export reads only
  // users with created_at before the run's start (`created_at_before: startedAt`), and counts the same way,
  // so a user whose created_at is in the future (Clerk's create-user takes any created_at) is silently
  // left out: the manifest reconciles. An export → import → export round trip can lose such users.
  it('a full export includes a user whose created_at is in the future', async () => {
    const em = await startEmulator({ users: 0 });
    try {
      const res = await fetch(`${em.url}/v1/users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${em.secretKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'future', created_at: new Date(Date.now() + 86_400_000).toISOString() }),
      });
      expect(res.status).toBe(200);
      const out = await executeExport(
        { to: path.join(dir, 'future'), formats: ['raw'], inputFormat: 'auto', apiUrl: em.url, secretKey: em.secretKey, concurrency: 1, progress: false },
        silentLogger,
        new AbortController().signal,
      );
      expect(published(out).result.manifest.counts.written).toBe(1);
    } finally {
      await em.close();
    }
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
