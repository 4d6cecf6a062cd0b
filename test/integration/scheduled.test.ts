import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExportCommand } from '../../src/cli/export.js';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { readNdjson, readTable } from '../helpers/read-back.js';
import { published } from '../helpers/export-run.js';
import { api } from '../helpers/emulator-api.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-sched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();

function settings(em: RunningEmulator, name: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return {
    to: path.join(dir, name, 'out'),
    state: path.join(dir, name, 'state', 'clerk.json'),
    mode: 'incremental',
    formats: ['parquet', 'raw'],
    inputFormat: 'auto',
    apiUrl: em.url,
    secretKey: em.secretKey,
    concurrency: 2,
    rateLimit: { requests: 100_000, windowMs: 1000 },
    progress: false,
    ...extra,
  };
}


/** Update 10 users, delete 5, create 7: the changes of the scenario. Returns the ids. */
async function changeData(em: RunningEmulator, seed: number): Promise<{ updated: string[]; deleted: string[]; created: string[] }> {
  const all = em.store.all();
  const updated = all.slice(10, 20).map((u) => u.id);
  const deleted = all.slice(30, 35).map((u) => u.id);
  for (const id of updated) await api(em, 'PATCH', `/v1/users/${id}`, { first_name: `Changed ${seed}` });
  for (const id of deleted) await api(em, 'DELETE', `/v1/users/${id}`);
  const created: string[] = [];
  for (let i = 0; i < 7; i++) {
    const u = await api(em, 'POST', '/v1/users', { email_address: [`new${seed}-${i}@example.com`], first_name: `New ${i}`, skip_password_requirement: true });
    created.push(u.id as string);
  }
  // A run that starts in the same millisecond as a create leaves that user to the next run
  // (created_at_before is the run start, exclusive): keep the scenario's counts exact.
  await new Promise((r) => setTimeout(r, 5));
  return { updated, deleted, created };
}

function rawIds(outDir: string, manifestPath: string): string[] {
  const m = JSON.parse(readFileSync(path.join(outDir, manifestPath), 'utf8')) as { files: Array<{ table: string; path: string }> };
  return m.files.filter((f) => f.table === 'raw_users').flatMap((f) => readNdjson(path.join(outDir, f.path)).map((u) => u.id as string));
}


describe('scheduled runs: full, then incremental, then deletions', () => {
  it.each([0, 2])('full run, then 10 updated + 5 deleted + 7 created: the incremental run writes exactly the 17, a full run writes the 5 deletions (%i transform workers)', async (workers) => {
    const em = await emulator({ users: 200, seed: 61 });
    const s = settings(em, `scenario-${workers}`, { workers });
    const first = await executeExport(s, silentLogger, new AbortController().signal);
    expect(first.status).toBe('published');
    expect(first.mode).toBe('full'); // no state yet
    expect(first.modeNote).toMatch(/first run is a full export/);
    expect(published(first).result.manifest.counts.read).toBe(200);
    const state1 = JSON.parse(readFileSync(s.state!, 'utf8'));
    expect(state1).toMatchObject({ state_version: 1, last_mode: 'full', ids: { count: 200 } });

    const { updated, deleted, created } = await changeData(em, 1);
    const second = await executeExport(s, silentLogger, new AbortController().signal);
    expect(second.status).toBe('published');
    expect(second.mode).toBe('incremental');
    const m2 = published(second).result.manifest;
    expect(m2.mode).toBe('incremental');
    expect(m2.window!.from).toBe(new Date(state1.watermark - 10 * 60_000).toISOString());
    expect(new Set(rawIds(s.to, published(second).result.manifestPath))).toEqual(new Set([...updated, ...created]));
    expect(m2.counts).toMatchObject({ read: 17, written: 17, rejected: 0, deleted: 0 });
    expect(m2.deletions_detected).toBe(false);
    // child rows of the 17, rewritten whole
    const emails = await readTable(s.to, m2, 'user_email_addresses', 'parquet');
    const expectedEmails = [...updated, ...created].reduce((n, id) => n + ((em.store.get(id)!.email_addresses as unknown[]).length), 0);
    expect(emails).toHaveLength(expectedEmails);
    expect(new Set(emails.map((e) => e.user_id))).toEqual(new Set([...updated, ...created].filter((id) => (em.store.get(id)!.email_addresses as unknown[]).length)));
    const users = await readTable(s.to, m2, 'users', 'parquet');
    expect(users).toHaveLength(17);
    for (const u of users) if (updated.includes(u.id as string)) expect(u.first_name).toBe('Changed 1');

    // Nothing changed since: nothing to do, watermark moves on.
    const third = await executeExport(s, silentLogger, new AbortController().signal);
    expect(third.status).toBe('nothing_to_do');
    expect(third.stateAfter!.watermark).toBeGreaterThan(second.stateAfter!.watermark);

    // A full run later reports the 5 deleted users.
    const full = await executeExport({ ...s, mode: 'full' }, silentLogger, new AbortController().signal);
    const mf = published(full).result.manifest;
    expect(mf.deletions_detected).toBe(true);
    expect(mf.counts.deleted).toBe(5);
    const del = await readTable(s.to, mf, 'user_deletions', 'parquet');
    expect(new Set(del.map((d) => d.user_id))).toEqual(new Set(deleted));
    expect(del[0]!.detected_at).toEqual(new Date(Date.parse(mf.started_at)));
    expect(mf.counts.read).toBe(202);
  }, 60_000);

  it('runs closer together than the overlap: unchanged users are written once, every later run without a change exits 4 and writes nothing', async () => {
    const em = await emulator({ users: 60, seed: 67 });
    const s = settings(em, 'close-runs');
    const run = async (): Promise<{ code: number; state: { recent?: Array<[string, number]> } }> => {
      let code = -1;
      await runExportCommand(s, silentLogger, undefined, (c) => (code = c));
      return { code, state: JSON.parse(readFileSync(s.state!, 'utf8')) };
    };
    expect((await run()).code).toBe(EXIT.OK); // the first run is full
    const three = em.store.all().slice(0, 3).map((u) => u.id);
    for (const id of three) await api(em, 'PATCH', `/v1/users/${id}`, { first_name: 'Changed once' });
    await new Promise((r) => setTimeout(r, 5));
    const second = await run();
    expect(second.code).toBe(EXIT.OK);
    expect(new Set(second.state.recent!.map(([id]) => id))).toEqual(new Set(three));
    // The issue: these alternated 4 / 0, each 0 writing the same 3 unchanged users again, because a
    // "nothing to do" run saved an empty list of remembered pairs.
    for (let i = 0; i < 3; i++) {
      const next = await run();
      expect(next.code).toBe(EXIT.NOTHING_TO_DO);
      expect(next.state.recent).toEqual(second.state.recent);
    }
    // One more change: only that user is written; the 3 stay remembered; then nothing to do again.
    await api(em, 'PATCH', `/v1/users/${em.store.all()[10]!.id}`, { first_name: 'Changed too' });
    await new Promise((r) => setTimeout(r, 5));
    const one = await executeExport(s, silentLogger, new AbortController().signal);
    expect(published(one).result.manifest.counts).toMatchObject({ read: 1, written: 1, already_exported: 3 });
    expect(one.stateAfter!.recent).toHaveLength(4);
    expect((await run()).code).toBe(EXIT.NOTHING_TO_DO);
  }, 60_000);

  it('--from a file with --state is refused (exit 2): a file export would move the API watermark and the next incremental run would skip real changes', async () => {
    const em = await emulator({ users: 40, seed: 68 });
    const s = settings(em, 'from-state');
    const first = await executeExport(s, silentLogger, new AbortController().signal);
    const before = readFileSync(s.state!, 'utf8');
    const { updated, created } = await changeData(em, 7);
    const rawFile = path.join(s.to, published(first).result.manifest.files.find((f) => f.table === 'raw_users')!.path);
    let code = -1;
    const fileRun = { ...s, mode: 'full' as const, from: rawFile, to: path.join(dir, 'from-state', 'file-out') };
    const err = await runExportCommand(fileRun, silentLogger, undefined, (c) => (code = c)).catch((e: unknown) => e);
    expect(code).toBe(EXIT.USAGE);
    expect((err as Error).message).toMatch(/--state \(or export\.state in the config file\) cannot be used with --from .*watermark/);
    expect(readFileSync(s.state!, 'utf8')).toBe(before);
    expect(() => readFileSync(path.join(fileRun.to, '_manifests'))).toThrow();
    // Without the state the file export runs; the next incremental run still finds every change.
    expect((await executeExport({ ...fileRun, state: undefined }, silentLogger, new AbortController().signal)).status).toBe('published');
    const next = await executeExport(s, silentLogger, new AbortController().signal);
    expect(new Set(rawIds(s.to, published(next).result.manifestPath))).toEqual(new Set([...updated, ...created]));
  }, 60_000);

  it('under --workers auto an incremental run (which cannot count its users in advance) stays in the main thread', async () => {
    const em = await emulator({ users: 50, seed: 62 });
    const s = settings(em, 'auto-incremental', { workers: 'auto' });
    await executeExport(s, silentLogger, new AbortController().signal);
    await changeData(em, 3);
    const inc = await executeExport(s, silentLogger, new AbortController().signal);
    expect(inc.mode).toBe('incremental');
    expect(published(inc).result.manifest.files.filter((f) => f.table === 'users').map((f) => f.part)).toEqual([0]);
  });

  it('--detect-deletions on an incremental run sweeps the ids and finds the deletions too', async () => {
    const em = await emulator({ users: 120, seed: 62 });
    const s = settings(em, 'detect', { detectDeletions: true });
    await executeExport(s, silentLogger, new AbortController().signal);
    const { deleted } = await changeData(em, 2);
    const inc = await executeExport(s, silentLogger, new AbortController().signal);
    expect(inc.mode).toBe('incremental');
    expect(published(inc).result.manifest.counts).toMatchObject({ read: 17, deleted: 5 });
    expect(inc.stateAfter!.ids!.count).toBe(120 - 5 + 7);
    const del = await readTable(s.to, published(inc).result.manifest, 'user_deletions', 'parquet');
    expect(new Set(del.map((d) => d.user_id))).toEqual(new Set(deleted));
  }, 60_000);

  it('a run that fails, or is stopped after writing files, leaves the state unchanged; the next run catches up', async () => {
    const em = await emulator({ users: 150, seed: 63 });
    const s = settings(em, 'fail', { maxAttempts: 1 });
    await executeExport(s, silentLogger, new AbortController().signal);
    const before = readFileSync(s.state!, 'utf8');
    const { updated, created } = await changeData(em, 3);
    // Clerk fails the incremental read.
    em.injectNext('500');
    const err = await executeExport(s, silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CLERK_HTTP');
    expect(readFileSync(s.state!, 'utf8')).toBe(before);
    // A full run stopped halfway, after it has written files.
    const slow = await emulator({ users: 3000, seed: 66, latencyMs: 100 });
    const s2 = settings(slow, 'fail2', { mode: 'full' });
    await executeExport(s2, silentLogger, new AbortController().signal);
    const before2 = readFileSync(s2.state!, 'utf8');
    const stop = new AbortController();
    const stopped = executeExport({ ...s2, concurrency: 1 }, silentLogger, stop.signal).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 450));
    stop.abort();
    expect(((await stopped) as { code?: string }).code).toBe('ABORTED');
    expect(readFileSync(s2.state!, 'utf8')).toBe(before2);
    // The next incremental run (on the first emulator) writes exactly the changes.
    const next = await executeExport(s, silentLogger, new AbortController().signal);
    expect(new Set(rawIds(s.to, published(next).result.manifestPath))).toEqual(new Set([...updated, ...created]));
  }, 60_000);

  it('two runs on one state: one runs, the other exits with the lock code naming the holder; a stale lock is taken over', async () => {
    const em = await emulator({ users: 300, seed: 64, latencyMs: 150 });
    const s = settings(em, 'lock', { mode: 'full' });
    const a = executeExport(s, silentLogger, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 100));
    let code = -1;
    const err = await runExportCommand({ ...s, to: path.join(dir, 'lock', 'out-b') }, silentLogger, path.join(dir, 'lock', 'b-summary.json'), (c) => (code = c)).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('LOCKED');
    expect((err as Error).message).toMatch(/Another run holds the lock on .*: run \S+ on host \S+, pid \d+, started /);
    expect(code).toBe(EXIT.LOCKED);
    expect(JSON.parse(readFileSync(path.join(dir, 'lock', 'b-summary.json'), 'utf8'))).toMatchObject({ status: 'failed', exit_code: 5 });
    expect((await a).status).toBe('published');
    // A lock left by a run of another host, 7 hours ago: taken over with a warning.
    writeFileSync(`${s.state}.lock`, JSON.stringify({ host: 'elsewhere', pid: 1, run_id: 'old', started_at: new Date(Date.now() - 7 * 3600_000).toISOString() }));
    const warnings: string[] = [];
    const c = await executeExport(s, createLogger({ format: 'json', level: 'warn', write: (l) => warnings.push(l) }), new AbortController().signal);
    expect(c.status).toBe('published');
    expect(warnings.join('\n')).toContain('taking over a lock older than the lock TTL');
  }, 60_000);

  it('--dry-run prints the plan and writes nothing; --summary-file records a real incremental run', async () => {
    const em = await emulator({ users: 80, seed: 65 });
    const s = settings(em, 'plan');
    const plan = await executeExport({ ...s, dryRun: true }, silentLogger, new AbortController().signal);
    expect(plan.status).toBe('planned');
    if (plan.status === 'planned') expect(plan.plan).toMatchObject({ mode: 'full', estimated_users: 80, formats: ['parquet', 'raw'] });
    expect(() => readFileSync(s.state!)).toThrow();
    await executeExport(s, silentLogger, new AbortController().signal);
    await changeData(em, 5);
    const summaryFile = path.join(dir, 'plan', 'summary.json');
    let code = -1;
    await runExportCommand(s, silentLogger, summaryFile, (c) => (code = c));
    expect(code).toBe(EXIT.OK);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ status: 'published', mode: 'incremental', exit_code: 0, counts: { read: 17, written: 17, rejected: 0 } });
    expect(summary.state_before.watermark < summary.state_after.watermark).toBe(true);
    expect(summary.clerk).toMatchObject({ rate_limited_429: 0 });
    expect(summary.files.length).toBeGreaterThan(0);
    expect(JSON.stringify(summary)).not.toContain(em.secretKey);
  }, 60_000);
});
