import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { silentLogger } from '../../src/log.js';
import { RESOURCE_NAMES, type ResourceName } from '../../src/model/schema.js';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { exportRun, published } from '../helpers/export-run.js';
import { readTable } from '../helpers/read-back.js';
import { api } from '../helpers/emulator-api.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-orgs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();

function settings(em: RunningEmulator, name: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return {
    to: path.join(dir, name, 'out'),
    formats: ['parquet', 'csv', 'ndjson'],
    inputFormat: 'auto',
    apiUrl: em.url,
    secretKey: em.secretKey,
    concurrency: 2,
    rateLimit: { requests: 100_000, windowMs: 1000 },
    maxAttempts: 10,
    progress: false,
    resources: ['all'],
    ...extra,
  };
}

/** Every record the emulator holds for a resource, by id. */
function held(em: RunningEmulator, resource: ResourceName): Array<{ id: string; updated_at: number }> {
  const o = em.orgs;
  const lists: Record<ResourceName, () => Array<{ id: string; updated_at: number }>> = {
    organizations: () => o.organizations(),
    organization_memberships: () => o.memberships(),
    organization_invitations: () => o.orgInvitationList(),
    organization_domains: () => o.domainList(),
    invitations: () => o.invitationList(),
    waitlist_entries: () => o.waitlistList(),
  };
  return lists[resource]();
}


describe('export --resources all', () => {
  it('writes every organization, membership, invitation, domain and waitlist entry exactly once, through 5xx, resets and 429s, in every format', async () => {
    const em = await emulator({ users: 400, organizations: 60, seed: 71, faults: { rate5xx: 0.08, rateReset: 0.05, rate429: 0.05, retryAfterSeconds: 0 } });
    const out = await exportRun(settings(em, 'faults'), silentLogger, new AbortController().signal);
    const m = out.result.manifest;
    expect(m.resources).toEqual(['users', ...RESOURCE_NAMES]);
    expect(m.clerk!.retries).toBeGreaterThan(0);
    for (const resource of RESOURCE_NAMES) {
      const expected = held(em, resource).map((r) => r.id).sort();
      expect(expected.length, resource).toBeGreaterThan(0);
      const c = m.counts.resources![resource]!;
      expect({ read: c.read, written: c.written, rejected: c.rejected, note: c.note }, resource).toEqual({ read: expected.length, written: expected.length, rejected: 0, note: undefined });
      expect(m.counts.rows[resource], resource).toBe(expected.length);
      for (const format of ['parquet', 'csv', 'ndjson'] as const) {
        const rows = await readTable(out.result.manifest.destination, m, resource, format);
        expect(rows.map((r) => r.id as string).sort(), `${resource} ${format}`).toEqual(expected);
      }
    }
    // Field by field for the organizations: what the emulator holds is what the table says.
    const orgs = await readTable(m.destination, m, 'organizations', 'ndjson');
    for (const o of em.orgs.organizations()) {
      const row = orgs.find((r) => r.id === o.id)!;
      expect({ name: row.name, slug: row.slug, max: row.max_allowed_memberships, meta: JSON.parse(row.public_metadata as string), members: row.members_count }).toEqual({
        name: o.name, slug: o.slug, max: o.max_allowed_memberships, meta: o.public_metadata, members: em.orgs.membersCount(o.id),
      });
    }
  });

  it('organizations deleted and created while the export pages: every one that existed for the whole run is written once, and the manifest says the counts moved', async () => {
    let pages = 0;
    const deleted: string[] = [];
    const em = await emulator({
      users: 200,
      organizations: 1200,
      seed: 74,
      onRequest: ({ method, path: p, query, orgs }) => {
        if (method !== 'GET' || p !== '/v1/organizations' || query.get('limit') === '1') return;
        if (++pages < 2) return;
        // Between pages: the 60 oldest go (more than the 50 a page repeats), one is added at the end.
        for (const o of orgs.organizations().sort((a, b) => a.created_at - b.created_at).slice(0, 60)) {
          orgs.deleteOrganization(o.id);
          deleted.push(o.id);
        }
        const any = orgs.organizations()[0]!;
        orgs.putOrganization({ ...any, id: `org_new_${pages}`, slug: `new-${pages}`, created_at: Date.now() + pages, updated_at: Date.now() + pages });
      },
    });
    const before = em.orgs.organizations().map((o) => o.id);
    const out = await exportRun(settings(em, 'moving', { resources: ['organizations'], formats: ['ndjson'] }), silentLogger, new AbortController().signal);
    const m = out.result.manifest;
    const ids = (await readTable(m.destination, m, 'organizations', 'ndjson')).map((r) => r.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    const survivors = before.filter((id) => !deleted.includes(id));
    expect(deleted.length).toBeGreaterThan(60);
    for (const id of survivors) expect(ids, id).toContain(id);
    const c = m.counts.resources!.organizations!;
    expect(c.pages_reread).toBeGreaterThan(0);
    expect(c.total_count_at_start).toBe(1200);
    expect(c.note).toMatch(/records were created or deleted during the run/);
  });

  it('DuckDB joins users, memberships and organizations into the organizations and roles the emulator holds for every user', async () => {
    const em = await emulator({ users: 300, organizations: 40, seed: 72 });
    const out = await exportRun(settings(em, 'join', { formats: ['parquet'] }), silentLogger, new AbortController().signal);
    const root = out.result.manifest.destination;
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const rows = (
        await c.runAndReadAll(
          `SELECT u.id AS user_id, o.id AS org_id, o.slug, m.role FROM '${root}/users/*/*.parquet' u
           JOIN '${root}/organization_memberships/*/*.parquet' m ON m.user_id = u.id
           JOIN '${root}/organizations/*/*.parquet' o ON o.id = m.organization_id ORDER BY 1, 2`,
        )
      ).getRowObjectsJS();
      const expected = em.orgs
        .memberships()
        .map((x) => ({ user_id: x.user_id, org_id: x.organization_id, slug: em.orgs.organization(x.organization_id)!.slug, role: x.role }))
        .sort((a, b) => (a.user_id === b.user_id ? (a.org_id < b.org_id ? -1 : 1) : a.user_id < b.user_id ? -1 : 1));
      expect(expected.length).toBeGreaterThan(40);
      expect(rows).toEqual(expected);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });

  it('a nightly incremental run after changing 3 organizations, deleting 1 and adding 2 writes exactly those', async () => {
    const em = await emulator({ users: 200, organizations: 30, seed: 73 });
    const s = settings(em, 'incremental', { resources: ['organizations'], mode: 'incremental', state: path.join(dir, 'incremental', 'state', 'clerk.json'), formats: ['ndjson'] });
    const first = await exportRun(s, silentLogger, new AbortController().signal);
    expect(first.mode).toBe('full');
    expect(first.result.manifest.counts.resources!.organizations!.written).toBe(30);
    expect(first.result.manifest.resources).toEqual(['organizations']);
    expect(first.result.manifest.counts.rows.users).toBeUndefined();

    const orgs = em.orgs.organizations();
    const changed = orgs.slice(3, 6).map((o) => o.id);
    const deleted = orgs[10]!.id;
    await new Promise((r) => setTimeout(r, 5));
    for (const id of changed) await api(em, 'PATCH', `/v1/organizations/${id}`, { name: `Renamed ${id}` });
    await api(em, 'DELETE', `/v1/organizations/${deleted}`);
    const created: string[] = [];
    for (let i = 0; i < 2; i++) created.push((await api(em, 'POST', '/v1/organizations', { name: `New org ${i}`, created_by: em.store.all()[i]!.id })).id as string);

    const second = published(await executeExport(s, silentLogger, new AbortController().signal));
    const m = second.result.manifest;
    expect(second.mode).toBe('incremental');
    const rows = await readTable(m.destination, m, 'organizations', 'ndjson');
    expect(rows.map((r) => r.id).sort()).toEqual([...changed, ...created].sort());
    expect(rows.filter((r) => changed.includes(r.id as string)).every((r) => String(r.name).startsWith('Renamed'))).toBe(true);
    const gone = await readTable(m.destination, m, 'deletions', 'ndjson');
    expect(gone.map((r) => [r.resource, r.id])).toEqual([['organizations', deleted]]);
    expect(m.counts.resources!.organizations).toMatchObject({ read: 31, written: 5, unchanged: 26, deleted: 1, rejected: 0 });

    // Nothing changed since: nothing to do, nothing published.
    await new Promise((r) => setTimeout(r, 5));
    const third = await executeExport(s, silentLogger, new AbortController().signal);
    expect(third.status).toBe('nothing_to_do');
  });
});
