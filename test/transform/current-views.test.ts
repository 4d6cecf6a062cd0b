import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { silentLogger } from '../../src/log.js';
import { ALL_TABLES, RESOURCE_NAMES, RESOURCE_TABLES, TABLES, USER_TABLES, type ResourceName } from '../../src/model/schema.js';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { currentViews } from '../../src/transform/current-views.js';
import { schemaDdl, SQL_DIALECTS, type SqlDialect } from '../../src/transform/ddl.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { published } from '../helpers/export-run.js';
import { api } from '../helpers/emulator-api.js';
import { ddlBlocks, schemaCli } from '../helpers/schema-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-current-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();

/** The statement text of each table or view (from its `-- <name>:` comment to the next one). */

const CHILDREN = TABLES.slice(1);
const viewNames = (tables: ReadonlyArray<{ name: string }>): string[] =>
  tables.filter((t) => t.name !== 'user_deletions' && t.name !== 'deletions').map((t) => `${t.name}_current`);

describe('--views current as text', () => {
  // Key fragments per dialect, written from the spec: the view, the window, the deletion filter, a child join.
  const EXPECTED: Record<SqlDialect, string[]> = {
    duckdb: [
      'CREATE OR REPLACE VIEW "users_current" AS\nSELECT v.* FROM (SELECT * FROM "users" QUALIFY row_number() OVER (PARTITION BY "id" ORDER BY "updated_at" DESC, "_run_id" DESC) = 1) AS v\n' +
        'LEFT JOIN (SELECT "user_id" AS "id", max("_run_id") AS "_run_id" FROM "user_deletions" GROUP BY "user_id") AS d ON d."id" = v."id"\n' +
        'WHERE d."_run_id" IS NULL OR d."_run_id" <= v."_run_id";',
      'CREATE OR REPLACE VIEW "user_email_addresses_current" AS\nSELECT c.* FROM "user_email_addresses" AS c\nJOIN "users_current" AS u ON u."id" = c."user_id" AND u."_run_id" = c."_run_id";',
      `LEFT JOIN (SELECT "id" AS "id", max("_run_id") AS "_run_id" FROM "deletions" WHERE "resource" = 'organizations' GROUP BY "id") AS d`,
    ],
    athena: [
      'CREATE OR REPLACE VIEW "users_current" AS\nSELECT v.* FROM (SELECT "id", ',
      ', "_run_id", "_extracted_at", "dt" FROM (SELECT *, row_number() OVER (PARTITION BY "id" ORDER BY "updated_at" DESC, "_run_id" DESC) AS "_rn" FROM "users") AS r WHERE r."_rn" = 1) AS v',
      'FROM "user_deletions" GROUP BY "user_id") AS d',
      'SELECT c."user_id", c."position", c."id", ',
      'JOIN "users_current" AS u ON u."id" = c."user_id" AND u."_run_id" = c."_run_id";',
      `FROM "deletions" WHERE "resource" = 'organizations' GROUP BY "id") AS d`,
    ],
    trino: [
      'CREATE OR REPLACE VIEW hive.clerk."users_current" AS\nSELECT v.* FROM (SELECT "id", ',
      'FROM (SELECT *, row_number() OVER (PARTITION BY "id" ORDER BY "updated_at" DESC, "_run_id" DESC) AS "_rn" FROM hive.clerk."users") AS r WHERE r."_rn" = 1) AS v',
      'FROM hive.clerk."user_deletions" GROUP BY "user_id") AS d',
      'JOIN hive.clerk."users_current" AS u ON u."id" = c."user_id" AND u."_run_id" = c."_run_id";',
      `FROM hive.clerk."deletions" WHERE "resource" = 'organizations' GROUP BY "id") AS d`,
    ],
    bigquery: [
      'CREATE OR REPLACE VIEW `clerk.users_current` AS\nSELECT v.* FROM (SELECT `id`, ',
      'FROM (SELECT *, row_number() OVER (PARTITION BY `id` ORDER BY `updated_at` DESC, `_run_id` DESC) AS `_rn` FROM `clerk.users`) AS r WHERE r.`_rn` = 1) AS v',
      'LEFT JOIN (SELECT `user_id` AS `id`, max(`_run_id`) AS `_run_id` FROM `clerk.user_deletions` GROUP BY `user_id`) AS d ON d.`id` = v.`id`',
      'SELECT c.`user_id`, c.`position`, c.`id`, ',
      'JOIN `clerk.users_current` AS u ON u.`id` = c.`user_id` AND u.`_run_id` = c.`_run_id`;',
      "FROM `clerk.deletions` WHERE `resource` = 'organizations' GROUP BY `id`) AS d",
    ],
    snowflake: [
      'CREATE OR REPLACE VIEW users_current AS\nSELECT v.* FROM (SELECT id, ',
      ', _run_id, _extracted_at, dt FROM users QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC, _run_id DESC) = 1) AS v',
      'LEFT JOIN (SELECT user_id AS id, max(_run_id) AS _run_id FROM user_deletions GROUP BY user_id) AS d ON d.id = v.id',
      'WHERE d._run_id IS NULL OR d._run_id <= v._run_id;',
      'SELECT c.user_id, c.position, c.id, ',
      'JOIN users_current AS u ON u.id = c.user_id AND u._run_id = c._run_id;',
      "FROM deletions WHERE resource = 'organizations' GROUP BY id) AS d",
    ],
  };

  for (const dialect of SQL_DIALECTS) {
    it(`${dialect}: a view per table but the deletions, children after users_current, the key fragments`, () => {
      const sql = currentViews(dialect, ALL_TABLES);
      expect([...ddlBlocks(sql).keys()]).toEqual(viewNames(ALL_TABLES));
      for (const fragment of EXPECTED[dialect]) expect(sql, fragment).toContain(fragment);
      if (dialect !== 'duckdb') {
        // Every column of the table (and dt) is listed, in order, for every view.
        const q = { athena: (n: string) => `"${n}"`, trino: (n: string) => `"${n}"`, bigquery: (n: string) => '`' + n + '`', snowflake: (n: string) => n }[dialect];
        for (const t of [...TABLES, ...RESOURCE_TABLES]) {
          const list = [...t.columns.map((c) => c.name), 'dt'];
          const block = ddlBlocks(sql).get(`${t.name}_current`)!;
          const expected = CHILDREN.includes(t) ? list.map((n) => `c.${q(n)}`).join(', ') : list.map(q).join(', ');
          expect(block, t.name).toContain(`SELECT ${expected} FROM`);
        }
      }
    });
  }

  it('only views over tables the DDL has: no users_current without users, children only with users_current, no deletion filter without a deletions table', () => {
    const orgsOnly = RESOURCE_TABLES.filter((t) => t.name === 'organizations');
    const sql = currentViews('duckdb', orgsOnly);
    expect([...ddlBlocks(sql).keys()]).toEqual(['organizations_current']);
    expect(sql).not.toContain('"deletions"');
    expect(ddlBlocks(sql).get('organizations_current')).not.toContain('deletions');
    expect([...ddlBlocks(currentViews('trino', CHILDREN)).keys()]).toEqual([]);
    expect(currentViews('trino', CHILDREN)).toBe('');
    const noDeletions = currentViews('athena', TABLES.slice(0, 2));
    expect([...ddlBlocks(noDeletions).keys()]).toEqual(['users_current', 'user_email_addresses_current']);
    expect(noDeletions).not.toContain('user_deletions');
  });

  it('the CLI: views after the DDL for the tables of --resources; --views without --dialect is a usage error', async () => {
    const users = await schemaCli('--dialect', 'athena', '--to', 's3://b/p', '--views', 'current');
    expect(users).toEqual({ code: 0, out: schemaDdl('athena', 's3://b/p') + '\n' + currentViews('athena', USER_TABLES), err: '' });
    expect([...ddlBlocks(users.out).keys()]).toEqual([...USER_TABLES.map((t) => t.name), ...viewNames(USER_TABLES)]);
    const orgs = await schemaCli('--dialect', 'snowflake', '--to', 's3://b/p', '--resources', 'organizations', '--views', 'current');
    expect([...ddlBlocks(orgs.out).keys()]).toEqual(['organizations', 'deletions', 'organizations_current']);
    expect((await schemaCli('--dialect', 'bigquery', '--to', 'gs://b/p', '--resources', 'all', '--views', 'current')).out).toContain('CREATE OR REPLACE VIEW `clerk.waitlist_entries_current` AS');
    // Without --views: the DDL alone, as before.
    expect((await schemaCli('--dialect', 'athena', '--to', 's3://b/p')).out).not.toContain('_current');
    const noDialect = await schemaCli('--views', 'current');
    expect(noDialect.code).toBe(2);
    expect(noDialect.out).toBe('');
    expect(noDialect.err).toContain('--views current prints views over the --dialect DDL; it needs --dialect');
    const bad = await schemaCli('--dialect', 'duckdb', '--views', 'history');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('history');
  });
});

// ---- DuckDB: the views over real exports equal what the emulator holds ----

function settings(em: RunningEmulator, name: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return {
    to: path.join(dir, name, 'out'),
    state: path.join(dir, name, 'state', 'clerk.json'),
    mode: 'incremental',
    formats: ['parquet'],
    inputFormat: 'auto',
    apiUrl: em.url,
    secretKey: em.secretKey,
    concurrency: 2,
    rateLimit: { requests: 100_000, windowMs: 1000 },
    progress: false,
    ...extra,
  };
}


/** Runs `schema --dialect duckdb --views current` on the export folder, then `query` over the views. */
async function queryViews(to: string, query: string): Promise<Array<Record<string, unknown>>> {
  const { code, out } = await schemaCli('--dialect', 'duckdb', '--to', to, '--views', 'current');
  expect(code).toBe(0);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run(out);
    return (await c.runAndReadAll(query)).getRowObjectsJS();
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

type Element = { id?: string; email_address?: string; created_at?: number; updated_at?: number };
/** A user's array (email_addresses, …) as the emulator holds it. */
const elements = (u: ClerkUser, key: string): Element[] => (Array.isArray(u[key]) ? (u[key] as Element[]) : []);

const sortRows = <T>(rows: T[]): T[] => rows.map((r) => JSON.stringify(r)).sort().map((s) => JSON.parse(s) as T);

/** users_current, and every child view, against the emulator's users: ids, first_name, updated_at, each child row. */
async function expectUsersCurrent(to: string, em: RunningEmulator): Promise<void> {
  const users = em.store.all();
  const got = await queryViews(to, 'SELECT id, first_name, epoch_ms(updated_at)::DOUBLE AS updated_at FROM users_current');
  expect(sortRows(got)).toEqual(sortRows(users.map((u) => ({ id: u.id, first_name: u.first_name ?? null, updated_at: u.updated_at }))));
  for (const child of CHILDREN) {
    const rows = await queryViews(to, `SELECT user_id, position::INTEGER AS position, id FROM "${child.name}_current"`);
    const expected = users.flatMap((u) => elements(u, child.sourceArray!).map((e, position) => ({ user_id: u.id, position, id: e.id ?? null })));
    expect(sortRows(rows), child.name).toEqual(sortRows(expected));
  }
  const emails = await queryViews(to, 'SELECT user_id, email_address FROM user_email_addresses_current');
  expect(sortRows(emails)).toEqual(sortRows(users.flatMap((u) => elements(u, 'email_addresses').map((e) => ({ user_id: u.id, email_address: e.email_address })))));
}

/** Give a user one new email address in place of its first (a change of a child table), as Clerk would: updated_at moves. */
function replaceFirstEmail(em: RunningEmulator, user: ClerkUser, address: string): void {
  const [first, ...rest] = elements(user, 'email_addresses');
  const now = Date.now();
  const email = { ...first!, id: `idn_moved_${address.replace(/\W/g, '_')}`, email_address: address, created_at: now, updated_at: now };
  em.store.replace({ ...user, email_addresses: [email, ...rest], primary_email_address_id: email.id, updated_at: now });
}

describe('DuckDB: the current views over a real export equal the emulator', () => {
  it('users: after a full run, an incremental run with --detect-deletions (updated, deleted, created, a changed email) and a full run', async () => {
    const em = await emulator({ users: 120, seed: 91 });
    const s = settings(em, 'users', { detectDeletions: true });
    expect((await executeExport(s, silentLogger, new AbortController().signal)).mode).toBe('full');
    await expectUsersCurrent(s.to, em);
    expect(await queryViews(s.to, 'SELECT count(*)::INTEGER AS n FROM users_current')).toEqual([{ n: 120 }]);

    const change = async (seed: number): Promise<void> => {
      const all = em.store.all();
      await new Promise((r) => setTimeout(r, 5));
      for (const u of all.slice(10, 20)) await api(em, 'PATCH', `/v1/users/${u.id}`, { first_name: `Changed ${seed}` });
      for (const u of all.slice(30, 35)) await api(em, 'DELETE', `/v1/users/${u.id}`);
      for (let i = 0; i < 7; i++) await api(em, 'POST', '/v1/users', { email_address: [`new${seed}-${i}@example.com`], first_name: `New ${i}`, skip_password_requirement: true });
      for (const u of all.slice(40, 42).filter((x) => elements(x, 'email_addresses').length)) replaceFirstEmail(em, u, `moved${seed}-${u.id}@example.com`);
      await new Promise((r) => setTimeout(r, 5));
    };
    await change(1);
    const inc = published(await executeExport(s, silentLogger, new AbortController().signal));
    expect(inc.mode).toBe('incremental');
    expect(inc.result.manifest.counts).toMatchObject({ deleted: 5 });
    await expectUsersCurrent(s.to, em);

    // More changes, then a full run: every user written again, the new deletions found by the full run.
    await change(2);
    const full = published(await executeExport({ ...s, mode: 'full' }, silentLogger, new AbortController().signal));
    expect(full.result.manifest.counts).toMatchObject({ deleted: 5 });
    await expectUsersCurrent(s.to, em);
    // The tables hold every version; the views one per user.
    const [n] = await queryViews(s.to, 'SELECT (SELECT count(*) FROM users)::INTEGER AS versions, (SELECT count(*) FROM users_current)::INTEGER AS current');
    expect(n).toEqual({ versions: 120 + 17 + 2 + 122 - 5 + 7, current: 120 - 5 + 7 - 5 + 7 });
  }, 90_000);

  it('organizations and the other resources: after a full run, an incremental run (renamed, deleted, created) and a full run', async () => {
    const em = await emulator({ users: 60, organizations: 25, seed: 92 });
    const s = settings(em, 'orgs', { resources: ['all'] });
    const held = (resource: ResourceName): string[] => {
      const o = em.orgs;
      const lists: Record<ResourceName, () => Array<{ id: string }>> = {
        organizations: () => o.organizations(),
        organization_memberships: () => o.memberships(),
        organization_invitations: () => o.orgInvitationList(),
        organization_domains: () => o.domainList(),
        invitations: () => o.invitationList(),
        waitlist_entries: () => o.waitlistList(),
      };
      return lists[resource]().map((r) => r.id).sort();
    };
    const check = async (): Promise<void> => {
      const orgs = await queryViews(s.to, 'SELECT id, name, slug, epoch_ms(updated_at)::DOUBLE AS updated_at FROM organizations_current');
      expect(sortRows(orgs)).toEqual(sortRows(em.orgs.organizations().map((o) => ({ id: o.id, name: o.name, slug: o.slug, updated_at: o.updated_at }))));
      for (const resource of RESOURCE_NAMES) {
        const ids = await queryViews(s.to, `SELECT id FROM "${resource}_current" ORDER BY id`);
        expect(ids.map((r) => r.id), resource).toEqual(held(resource));
      }
      const users = await queryViews(s.to, 'SELECT id FROM users_current ORDER BY id');
      expect(users.map((r) => r.id)).toEqual(em.store.all().map((u) => u.id).sort());
    };
    await executeExport(s, silentLogger, new AbortController().signal);
    await check();

    const orgs = em.orgs.organizations();
    await new Promise((r) => setTimeout(r, 5));
    for (const o of orgs.slice(3, 6)) await api(em, 'PATCH', `/v1/organizations/${o.id}`, { name: `Renamed ${o.id}` });
    await api(em, 'DELETE', `/v1/organizations/${orgs[10]!.id}`);
    for (let i = 0; i < 2; i++) await api(em, 'POST', '/v1/organizations', { name: `New org ${i}`, created_by: em.store.all()[i]!.id });
    await new Promise((r) => setTimeout(r, 5));
    const inc = published(await executeExport(s, silentLogger, new AbortController().signal));
    expect(inc.mode).toBe('incremental');
    expect(inc.result.manifest.counts.resources!.organizations).toMatchObject({ deleted: 1 });
    await check();

    await api(em, 'DELETE', `/v1/organizations/${orgs[11]!.id}`);
    await api(em, 'PATCH', `/v1/organizations/${orgs[12]!.id}`, { name: 'Renamed again' });
    await new Promise((r) => setTimeout(r, 5));
    await executeExport({ ...s, mode: 'full' }, silentLogger, new AbortController().signal);
    await check();
  }, 90_000);
});
