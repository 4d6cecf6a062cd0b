import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { silentLogger } from '../../src/log.js';
import type { ExportSettings } from '../../src/pipeline/export.js';
import { executeImport } from '../../src/pipeline/import.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { exportRun } from '../helpers/export-run.js';
import { importSettingsFor } from '../helpers/import-settings.js';
import { startCli } from '../helpers/cli.js';
import { readNdjson } from '../helpers/read-back.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-orgimport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();
const importSettings = importSettingsFor(4);

function exportSettings(em: RunningEmulator, to: string): ExportSettings {
  return { to, formats: ['raw', 'parquet'], inputFormat: 'auto', apiUrl: em.url, secretKey: em.secretKey, concurrency: 2, rateLimit: { requests: 100_000, windowMs: 1000 }, progress: false, resources: ['all'] };
}

/** The raw records of one table of the latest export under `root`. */
function raw(root: string, table: string): Array<Record<string, any>> {
  const manifests = readdirSorted(path.join(root, '_manifests'));
  const m = JSON.parse(readFileSync(path.join(root, '_manifests', manifests[manifests.length - 1]!), 'utf8')) as { files: Array<{ table: string; path: string }> };
  return m.files.filter((f) => f.table === table).flatMap((f) => readNdjson(path.join(root, f.path)));
}

function readdirSorted(d: string): string[] {
  return readdirSync(d).filter((n) => n.endsWith('.json')).sort();
}

function csv(file: string): Array<Record<string, string>> {
  return Papa.parse<Record<string, string>>(readFileSync(file, 'utf8'), { header: true, skipEmptyLines: true }).data;
}

/** Source user id → target user id, from the users' id map. */
function userMap(report: string): Map<string, string> {
  return new Map(csv(path.join(report, 'id-map.csv')).filter((r) => r.clerk_user_id).map((r) => [r.source_id!, r.clerk_user_id!]));
}

/** What an instance's organizations and memberships are, in source terms: slug → fields, and (slug, source user, role). */
function graph(root: string, toSource: (targetUserId: string) => string | undefined) {
  const orgs = raw(root, 'raw_organizations');
  const bySlug = new Map(orgs.map((o) => [o.slug as string, { name: o.name, public_metadata: o.public_metadata, private_metadata: o.private_metadata, max_allowed_memberships: o.max_allowed_memberships }]));
  const slugOf = new Map(orgs.map((o) => [o.id as string, o.slug as string]));
  const members = raw(root, 'raw_organization_memberships').map((m) => `${slugOf.get(m.organization.id)} ${toSource(m.public_user_data.user_id)} ${m.role}`);
  return { bySlug, members: members.sort() };
}

describe('import --from <export folder>: organizations and memberships', () => {
  it('round trip: export all from one instance, import into an empty one through ambiguous creates, export again: the same organizations and memberships, id maps complete', async () => {
    const a = await emulator({ users: 150, organizations: 20, seed: 81 });
    const b = await emulator({ users: 0, seed: 82, faults: { rateAfterCreate: 0.15, rate5xx: 0.03, seed: 5 } });
    const from = path.join(dir, 'rt-a');
    await exportRun(exportSettings(a, from), silentLogger, new AbortController().signal);
    const report = path.join(dir, 'rt-report');
    const summary = await executeImport(importSettings(b, from, report), silentLogger, new AbortController().signal);
    const o = summary.organizations!;
    expect(o.organizations).toMatchObject({ read: 20, created: 20, failed: 0 });
    expect(b.stats.injected['500-after-create'] + b.stats.injected['reset-after-create']).toBeGreaterThan(0);
    expect(o.organizations.recovered + o.memberships.recovered).toBeGreaterThan(0);

    const users = userMap(report);
    const failedUsers = new Set(csv(path.join(report, 'id-map.csv')).filter((r) => r.outcome === 'failed').map((r) => r.source_id));
    const back = new Map([...users].map(([s, t]) => [t, s]));
    const to = path.join(dir, 'rt-b');
    await exportRun(exportSettings(b, to), silentLogger, new AbortController().signal);
    const before = graph(from, (id) => id);
    const after = graph(to, (id) => back.get(id));
    expect(after.bySlug).toEqual(before.bySlug);
    // Every membership whose user could be imported, with its role; the others failed naming both ids.
    const expected = before.members.filter((m) => !failedUsers.has(m.split(' ')[1]));
    expect(after.members).toEqual(expected);
    expect(o.memberships.failed).toBe(before.members.length - expected.length);
    for (const f of readNdjson(path.join(report, 'organization-failures.ndjson'))) {
      expect(f.code).toBe('DEPENDENCY_FAILED');
      expect(f.message).toMatch(/organization org_\S+ → org_\S+; user user_\S+ failed to import \(RECORD_INVALID\)/);
    }
    // The id map links every source organization to its new id (the same slug in the target).
    const targetBySlug = new Map(raw(to, 'raw_organizations').map((x) => [x.slug, x.id]));
    const orgRows = csv(path.join(report, 'organization-id-map.csv')).filter((r) => r.kind === 'organization');
    expect(orgRows).toHaveLength(20);
    for (const src of raw(from, 'raw_organizations')) expect(orgRows.find((r) => r.source_id === src.id)?.clerk_id, src.slug).toBe(targetBySlug.get(src.slug));
  }, 60_000);

  it('killed with SIGKILL while creating organizations, then re-run: no organization or membership twice; a third run creates nothing', async () => {
    const a = await emulator({ users: 60, organizations: 30, seed: 83 });
    const from = path.join(dir, 'kill-a');
    await exportRun(exportSettings(a, from), silentLogger, new AbortController().signal);
    const b = await emulator({ users: 0, seed: 84, latencyMs: 15 });
    const report = path.join(dir, 'kill-report');
    const args = ['import', '--from', from, '--report', report, '--concurrency', '4', '--rate-limit', '100000/1s', '--log-format', 'json', '--no-progress'];
    const env = { CLERK_SECRET_KEY: b.secretKey, CLERK_API_URL: b.url };
    const first = startCli(args, { env });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (b.orgs.organizations().length >= 8) {
          clearInterval(t);
          first.kill('SIGKILL');
          resolve();
        }
      }, 2);
    });
    await first.code;
    const orgsAtKill = b.orgs.organizations().length;
    expect(orgsAtKill).toBeLessThan(30);
    const second = startCli(args, { env });
    const code = await second.code;
    const s = JSON.parse(readFileSync(path.join(report, 'summary.json'), 'utf8')) as { counts: { failed: number }; organizations: { memberships: { failed: number } } };
    // Exit 3 only when some record failed (a user without an identifier, and its memberships).
    expect(code, second.stdout() + second.stderr()).toBe(s.counts.failed + s.organizations.memberships.failed > 0 ? 3 : 0);
    expect(second.stdout()).toMatch(/Organizations: 30 read, \d+ created(?: \(\d+ after an ambiguous answer\))?, 0 updated, 0 already existed, \d+ done by an earlier run, 0 failed/);
    expect(b.orgs.organizations()).toHaveLength(30);
    expect(new Set(b.orgs.organizations().map((x) => x.slug))).toEqual(new Set(a.orgs.organizations().map((x) => x.slug)));
    const pairs = b.orgs.memberships().map((m) => `${m.organization_id} ${m.user_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    const third = startCli(args, { env });
    await third.code;
    expect(third.stdout()).toMatch(/Organizations: 30 read, 0 created, 0 updated, 0 already existed, 30 done by an earlier run/);
    expect(b.orgs.organizations()).toHaveLength(30);
    expect(b.orgs.memberships().length).toBe(pairs.length);
  }, 60_000);

  it('a role the target instance does not have fails that membership, naming the role and the roles there are', async () => {
    const a = await emulator({ users: 40, organizations: 3, seed: 85 });
    const m = a.orgs.memberships()[0]!;
    a.orgs.putMembership({ ...m, role: 'org:billing' });
    const from = path.join(dir, 'role-a');
    await exportRun(exportSettings(a, from), silentLogger, new AbortController().signal);
    const b = await emulator({ users: 0, seed: 86 });
    const report = path.join(dir, 'role-report');
    const summary = await executeImport(importSettings(b, from, report), silentLogger, new AbortController().signal);
    const f = readNdjson(path.join(report, 'organization-failures.ndjson')).find((x) => x.source_id === m.id)!;
    expect(f).toMatchObject({ code: 'ROLE_NOT_FOUND', field: 'role' });
    expect(f.message).toMatch(/role org:billing does not exist in the target instance \(its roles: (org:admin, org:member|org:member, org:admin)\)/);
    expect(f.message).toMatch(/Organization org_\S+ → org_\S+, user user_\S+ → user_\S+/);
    expect(summary.organizations!.memberships.failed).toBeGreaterThanOrEqual(1);
  });

  it('--on-conflict: an organization whose slug and name are already there is skipped, updated or stops the run; one with the slug but another name is never merged', async () => {
    const a = await emulator({ users: 30, organizations: 3, seed: 89 });
    const from = path.join(dir, 'conflict-a');
    await exportRun(exportSettings(a, from), silentLogger, new AbortController().signal);
    const [same, other] = a.orgs.organizations();
    const api = (em: RunningEmulator, body: unknown) =>
      fetch(em.url + '/v1/organizations', { method: 'POST', headers: { Authorization: `Bearer ${em.secretKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ id: string }>);
    for (const mode of ['skip', 'update', 'fail'] as const) {
      const b = await emulator({ users: 0, seed: 90 });
      const existing = await api(b, { name: same!.name, slug: same!.slug, max_allowed_memberships: 99 });
      const foreign = await api(b, { name: 'Somebody else', slug: other!.slug });
      const report = path.join(dir, `conflict-${mode}`);
      const run = executeImport(importSettings(b, from, report, { onConflict: mode }), silentLogger, new AbortController().signal);
      if (mode === 'fail') {
        await expect(run).rejects.toThrow(/already exists in Clerk and --on-conflict is fail/);
        continue;
      }
      const s = (await run).organizations!.organizations;
      expect(s, mode).toMatchObject(mode === 'skip' ? { exists: 1, failed: 1, created: 1 } : { updated: 1, failed: 1, created: 1 });
      expect(b.orgs.organizations()).toHaveLength(3);
      expect(b.orgs.organization(existing.id)!.max_allowed_memberships).toBe(mode === 'update' ? same!.max_allowed_memberships : 99);
      expect(b.orgs.organization(foreign.id)!.name).toBe('Somebody else');
      const f = readNdjson(path.join(report, 'organization-failures.ndjson')).find((x) => x.source_id === other!.id)!;
      expect(f.message).toContain(`already belongs to organization ${foreign.id} ("Somebody else"), not this organization`);
      const rows = csv(path.join(report, 'organization-id-map.csv'));
      expect(rows.find((r) => r.source_id === same!.id)?.clerk_id).toBe(existing.id);
    }
  });

  it('--dry-run reads the folder and sends nothing', async () => {
    const a = await emulator({ users: 30, organizations: 4, seed: 87 });
    const from = path.join(dir, 'dry-a');
    await exportRun(exportSettings(a, from), silentLogger, new AbortController().signal);
    const b = await emulator({ users: 0, seed: 88 });
    const summary = await executeImport(importSettings(b, from, path.join(dir, 'dry-report'), { dryRun: true }), silentLogger, new AbortController().signal);
    expect(summary.organizations!.organizations).toMatchObject({ read: 4, would_create: 4 });
    expect(summary.organizations!.memberships.would_create).toBe(a.orgs.memberships().length);
    expect(b.stats.requests).toBe(0);
  });
});
