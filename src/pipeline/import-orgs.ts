import pLimit from 'p-limit';
import type { ClerkClient } from '../clerk/client.js';
import { EtlError } from '../errors.js';
import type { Logger } from '../log.js';
import { FilesSource, rawFiles, type ExportFolder } from '../extract/export-folder.js';
import type { FieldProblem, OnConflict, RunContext, SourceRecord } from '../model/records.js';
import { mapMembership, mapOrganization, type MembershipToCreate, type OrganizationToCreate } from '../transform/import-organization.js';
import { DONE_STATES, ImportJournal, type JournalState } from '../state/import-journal.js';
import { ClerkOrgWriter } from '../load/clerk-org-writer.js';
import { stopsTheRun } from '../load/clerk-user-writer.js';
import { ImportReports, type ImportFailure } from '../load/import-reports.js';

/** What the import did with one kind of record (organizations, memberships). */
export interface OrgImportCounts {
  read: number;
  created: number;
  /** Already in the target (`--on-conflict skip`), left as it was. */
  exists: number;
  /** Already in the target and updated (`--on-conflict update`). */
  updated: number;
  /** Done by an earlier run (journal). */
  already_done: number;
  failed: number;
  /** --dry-run: would have been sent. */
  would_create: number;
  /** Ambiguous creates that turned out to have happened. */
  recovered: number;
}

export interface OrgImportSummary {
  organizations: OrgImportCounts;
  memberships: OrgImportCounts;
  /** Organizations whose logo was not copied (Clerk takes a logo as an upload, not a URL). */
  images_not_copied: number;
  /** Source fields Clerk could not take, by field. */
  not_imported_by_field: Record<string, number>;
  failures_by_code: Record<string, number>;
  stopped?: string;
}

export interface OrgImportOptions {
  folder: ExportFolder;
  /** Needed unless dryRun. */
  client?: ClerkClient;
  reportDir: string;
  onConflict: OnConflict;
  dryRun: boolean;
  concurrency?: number;
  runId: string;
  signal: AbortSignal;
  log: Logger;
  /** Source user id → the user's id in the target (the users' journal: created, updated or found). */
  userIds: ReadonlyMap<string, string>;
  /** Source user id → why its import failed (error code), for the memberships that need it. */
  userFailures: ReadonlyMap<string, string>;
}

/** The role Clerk gives an organization's creator (docs/clerk-api.md, "Organizations and other lists"). */
const CREATOR_ROLE = 'org:admin';

const zero = (): OrgImportCounts => ({ read: 0, created: 0, exists: 0, updated: 0, already_done: 0, failed: 0, would_create: 0, recovered: 0 });

/** Files of the organization import in the report folder, beside the users' journal and id map. */
export const ORG_JOURNAL = 'organizations-journal.ndjson';
export const MEMBERSHIP_JOURNAL = 'memberships-journal.ndjson';

/**
 * The organizations and memberships of an export, after its users: organizations first
 * (`created_by` mapped through the users' id map), then memberships (organization and user both
 * mapped, role kept). Journaled like the users (a re-run skips what is done and looks up what a
 * killed run left pending), rate-limited by the shared client, reported in
 * `organization-id-map.csv` and `organization-failures.ndjson`.
 */
export async function runOrgImport(o: OrgImportOptions): Promise<OrgImportSummary> {
  if (!o.dryRun && !o.client) throw new EtlError('INTERNAL', 'runOrgImport needs a client unless dryRun.');
  return new OrgImportRun(o).run();
}

class OrgImportRun {
  private readonly orgJournal?: ImportJournal;
  private readonly memberJournal?: ImportJournal;
  private readonly reports: ImportReports;
  private readonly writer?: ClerkOrgWriter;
  private readonly summary: OrgImportSummary = { organizations: zero(), memberships: zero(), images_not_copied: 0, not_imported_by_field: {}, failures_by_code: {} };
  /** Source organization id → target id, from the journal and this run. */
  private readonly orgIds = new Map<string, string>();
  /** Target organization id → the target user this run passed as its `created_by` (Clerk makes that user an admin member). */
  private readonly creators = new Map<string, string>();
  /** Source organization id → why it has no target (its failure code). */
  private readonly orgFailures = new Map<string, string>();
  private readonly dryRunRows: string[][] = [];
  private readonly stopper = new AbortController();
  private readonly runSignal: AbortSignal;
  private stopped?: EtlError;

  constructor(private readonly o: OrgImportOptions) {
    this.runSignal = AbortSignal.any([o.signal, this.stopper.signal]);
    if (!o.dryRun) {
      this.orgJournal = new ImportJournal(o.reportDir, o.log, ORG_JOURNAL);
      this.memberJournal = new ImportJournal(o.reportDir, o.log, MEMBERSHIP_JOURNAL);
      this.writer = new ClerkOrgWriter(o.client!, this.runSignal);
      for (const e of this.orgJournal.entries()) if (e.clerk_id && DONE_STATES.has(e.state)) this.orgIds.set(e.source_id, e.clerk_id);
    }
    this.reports = new ImportReports(o.reportDir, o.dryRun, 'organization-failures.ndjson');
  }

  async run(): Promise<OrgImportSummary> {
    try {
      await this.each('raw_organizations', 'organizations', (rec) => this.organization(rec));
      if (!this.stopped && !this.o.signal.aborted) {
        const roles = this.writer && rawFiles(this.o.folder, 'raw_organization_memberships').length ? await this.writer.roleKeys() : undefined;
        await this.each('raw_organization_memberships', 'memberships', (rec) => this.membership(rec, roles));
      }
    } finally {
      this.reports.closeFailures();
      this.orgJournal?.close();
      this.memberJournal?.close();
      this.writeIdMap();
    }
    if (this.stopped) {
      this.summary.stopped = this.stopped.message;
      throw this.stopped;
    }
    this.o.signal.throwIfAborted();
    return this.summary;
  }

  /** Every record of one raw table, a few at a time; an error that is not one record's stops the run. */
  private async each(table: string, kind: 'organizations' | 'memberships', handle: (rec: SourceRecord) => Promise<void>): Promise<void> {
    const files = rawFiles(this.o.folder, table);
    if (!files.length) return;
    const limit = pLimit(this.o.concurrency ?? 8);
    const ctx: RunContext = { signal: this.runSignal, log: this.o.log, runId: this.o.runId };
    this.o.log.info(`importing ${kind}`, { files: files.length });
    for await (const batch of new FilesSource(files, { kind: 'export', table }).read(ctx)) {
      const results = await Promise.allSettled(
        batch.map((rec) =>
          limit(async () => {
            if (this.runSignal.aborted) return;
            this.summary[kind].read++;
            await handle(rec);
          }),
        ),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        if (stopsTheRun(failed.reason)) this.stop(failed.reason);
        else throw failed.reason;
      }
      if (this.runSignal.aborted) return;
    }
  }

  private stop(err: EtlError): void {
    this.stopped ??= err;
    this.stopper.abort(err);
  }

  private async organization(rec: SourceRecord): Promise<void> {
    const c = this.summary.organizations;
    const mapped = mapOrganization(rec);
    if (!mapped.value) return this.invalid('organizations', rec, mapped.sourceId, mapped.problems);
    const org = mapped.value;
    const prior = this.orgJournal?.get(org.sourceId);
    if (prior && DONE_STATES.has(prior.state)) {
      c.already_done++;
      return;
    }
    for (const f of org.notImported) this.summary.not_imported_by_field[`organizations.${f}`] = (this.summary.not_imported_by_field[`organizations.${f}`] ?? 0) + 1;
    if (org.notImported.includes('image_url')) this.summary.images_not_copied++;
    const body = { ...org.body };
    const creator = org.createdBy === undefined ? undefined : this.o.userIds.get(org.createdBy);
    if (creator) body.created_by = creator;
    const notImported = [...org.notImported, ...(org.createdBy && !creator ? ['created_by'] : [])];
    if (!this.writer) {
      c.would_create++;
      this.dryRunRows.push(['organization', org.sourceId, '', 'would_create', notImported.join(';')]);
      return;
    }
    const journal = this.orgJournal!;
    const created = (id: string, recovered: boolean): void => {
      c.created++;
      if (recovered) c.recovered++;
      this.orgIds.set(org.sourceId, id);
      journal.record({ source_id: org.sourceId, state: 'created', clerk_id: id, where: rec.where, ...(recovered ? { note: 'recovered' } : {}), not_imported: notImported });
    };
    // A create a killed run left pending may have happened: its slug tells.
    if (prior?.state === 'pending') {
      const found = await this.writer.findBySlug(org.slug);
      if (found && found.name === org.name) return created(found.id, true);
    }
    journal.record({ source_id: org.sourceId, state: 'pending', where: rec.where });
    let outcome;
    try {
      outcome = await this.writer.createOrganization(body, org.slug, org.name);
    } catch (err) {
      return this.failed('organizations', rec, org.sourceId, err);
    }
    if (outcome.kind === 'created') {
      if (creator) this.creators.set(outcome.id, creator);
      return created(outcome.id, outcome.recovered);
    }
    journal.record({ source_id: org.sourceId, state: 'failed', where: rec.where, code: 'form_identifier_exists' });
    return this.orgConflict(rec, org, outcome.existing, outcome.error, notImported);
  }

  /** The slug is taken: the same organization (same slug and name) is skipped or updated; any other is a failure. */
  private async orgConflict(rec: SourceRecord, org: OrganizationToCreate, existing: { id: string; name: string } | undefined, err: EtlError, notImported: string[]): Promise<void> {
    const c = this.summary.organizations;
    const journal = this.orgJournal!;
    if (this.o.onConflict === 'fail' || !existing || existing.name !== org.name) {
      const holder = existing ? `organization ${existing.id} ("${existing.name}")` : 'an organization a lookup by it does not return';
      this.fail('organizations', {
        source_id: org.sourceId,
        where: rec.where,
        field: 'slug',
        code: 'form_identifier_exists',
        message: `slug ${org.slug} already belongs to ${holder}${existing && existing.name !== org.name ? ', not this organization' : ''}; not created, not merged. ${err.message}`,
        status: err.status,
        record: null,
      });
      if (this.o.onConflict === 'fail') this.stop(new EtlError('IMPORT_CONFLICT', `Stopped at ${rec.where} (${org.sourceId}): slug ${org.slug} already exists in Clerk and --on-conflict is fail. Re-run with --on-conflict skip or update to go on; what was done is in the journal.`));
      return;
    }
    this.orgIds.set(org.sourceId, existing.id);
    if (this.o.onConflict === 'skip') {
      c.exists++;
      journal.record({ source_id: org.sourceId, state: 'exists', clerk_id: existing.id, where: rec.where, code: 'form_identifier_exists' });
      return;
    }
    try {
      await this.writer!.updateOrganization(existing.id, org.body);
    } catch (e) {
      return this.failed('organizations', rec, org.sourceId, e);
    }
    c.updated++;
    journal.record({ source_id: org.sourceId, state: 'updated', clerk_id: existing.id, where: rec.where, not_imported: [...notImported, 'public_metadata', 'private_metadata'] });
  }

  private async membership(rec: SourceRecord, roles: readonly string[] | undefined): Promise<void> {
    const c = this.summary.memberships;
    const mapped = mapMembership(rec);
    if (!mapped.value) return this.invalid('memberships', rec, mapped.sourceId, mapped.problems);
    const m = mapped.value;
    const prior = this.memberJournal?.get(m.sourceId);
    if (prior && DONE_STATES.has(prior.state)) {
      c.already_done++;
      return;
    }
    if (!this.writer) {
      c.would_create++;
      this.dryRunRows.push(['membership', m.sourceId, '', 'would_create', '']);
      return;
    }
    const orgId = this.orgIds.get(m.organizationSourceId);
    const userId = this.o.userIds.get(m.userSourceId);
    if (!orgId || !userId) return this.unmet(rec, m, orgId, userId);
    if (roles && !roles.includes(m.role)) {
      return this.fail('memberships', {
        source_id: m.sourceId,
        where: rec.where,
        field: 'role',
        code: 'ROLE_NOT_FOUND',
        message: `role ${m.role} does not exist in the target instance (its roles: ${roles.join(', ') || 'none'}); create it in the Clerk dashboard (Organizations → Roles) and re-run. Organization ${m.organizationSourceId} → ${orgId}, user ${m.userSourceId} → ${userId}.`,
        record: null,
      });
    }
    const journal = this.memberJournal!;
    journal.record({ source_id: m.sourceId, state: 'pending', where: rec.where });
    let outcome;
    try {
      outcome = await this.writer.addMember(orgId, userId, m.body);
    } catch (err) {
      return this.failed('memberships', rec, m.sourceId, err);
    }
    const done = (state: JournalState, recovered = false): void => {
      journal.record({ source_id: m.sourceId, state, clerk_id: `${orgId}/${userId}`, where: rec.where, ...(recovered ? { note: 'recovered' } : {}) });
    };
    if (outcome.kind === 'created') {
      c.created++;
      if (outcome.recovered) c.recovered++;
      return done('created', outcome.recovered);
    }
    // Already a member: a create a killed run left pending, the organization's creator (Clerk adds
    // the creator as an admin), or someone added by hand.
    if (prior?.state === 'pending') {
      c.created++;
      c.recovered++;
      return done('created', true);
    }
    if (this.creators.get(orgId) === userId) {
      // Made by this import's organization create, as an admin: give it the exported role.
      if (m.role !== CREATOR_ROLE) {
        try {
          await this.writer.setRole(orgId, userId, m.role);
        } catch (err) {
          return this.failed('memberships', rec, m.sourceId, err);
        }
      }
      c.created++;
      return done('created');
    }
    if (this.o.onConflict === 'fail') {
      this.fail('memberships', { source_id: m.sourceId, where: rec.where, code: 'already_a_member_in_organization', message: `user ${userId} is already a member of organization ${orgId}. ${outcome.error.message}`, record: null });
      this.stop(new EtlError('IMPORT_CONFLICT', `Stopped at ${rec.where} (${m.sourceId}): the user is already a member and --on-conflict is fail. Re-run with --on-conflict skip or update to go on.`));
      return;
    }
    if (this.o.onConflict === 'skip') {
      c.exists++;
      return done('exists');
    }
    try {
      await this.writer.setRole(orgId, userId, m.role);
    } catch (err) {
      return this.failed('memberships', rec, m.sourceId, err);
    }
    c.updated++;
    done('updated');
  }

  /** A membership whose organization or user is not in the target: both ids named, and why. */
  private unmet(rec: SourceRecord, m: MembershipToCreate, orgId: string | undefined, userId: string | undefined): void {
    const why = (kind: string, id: string, target: string | undefined, failures: ReadonlyMap<string, string>): string =>
      target ? `${kind} ${id} → ${target}` : failures.has(id) ? `${kind} ${id} failed to import (${failures.get(id)})` : `${kind} ${id} is not in the export or not imported`;
    this.fail('memberships', {
      source_id: m.sourceId,
      where: rec.where,
      field: !userId ? 'public_user_data.user_id' : 'organization.id',
      code: 'DEPENDENCY_FAILED',
      message: `not created: ${why('organization', m.organizationSourceId, orgId, this.orgFailures)}; ${why('user', m.userSourceId, userId, this.o.userFailures)}. Fix that and re-run.`,
      record: null,
    });
  }

  private failed(kind: 'organizations' | 'memberships', rec: SourceRecord, sourceId: string, err: unknown): void {
    if (this.runSignal.aborted || stopsTheRun(err)) throw err;
    const e = err instanceof EtlError ? err : new EtlError('INTERNAL', String(err));
    this.fail(kind, { source_id: sourceId, where: rec.where, field: e.clerkParam, code: e.clerkCode ?? e.code, message: e.message, clerk_trace_id: e.traceId, status: e.status, record: null });
  }

  private invalid(kind: 'organizations' | 'memberships', rec: SourceRecord, sourceId: string | null, problems: FieldProblem[]): void {
    this.fail(kind, { source_id: sourceId, where: rec.where, field: problems[0]?.field, code: 'RECORD_INVALID', message: problems.map((p) => `${p.field}: ${p.problem}`).join('; '), record: rec.error !== undefined ? null : (rec.value ?? null) });
  }

  private fail(kind: 'organizations' | 'memberships', f: ImportFailure): void {
    this.summary[kind].failed++;
    this.summary.failures_by_code[f.code] = (this.summary.failures_by_code[f.code] ?? 0) + 1;
    this.reports.failure(f);
    if (kind === 'organizations' && f.source_id) this.orgFailures.set(f.source_id, f.code);
    if (f.source_id) (kind === 'organizations' ? this.orgJournal : this.memberJournal)?.record({ source_id: f.source_id, state: 'failed', where: f.where, code: f.code });
    if (this.summary[kind].failed <= 20) this.o.log.warn(`import failed for one of the ${kind}`, { where: f.where, source_id: f.source_id, code: f.code, message: f.message });
  }

  /** `organization-id-map.csv`: one row per organization and membership, from the journals (or the dry run). */
  private writeIdMap(): void {
    const rows: string[][] = [...this.dryRunRows];
    for (const [kind, journal] of [['organization', this.orgJournal], ['membership', this.memberJournal]] as const) {
      for (const e of journal?.entries() ?? []) rows.push([kind, e.source_id, e.clerk_id ?? '', e.state === 'pending' ? 'unknown' : e.state, (e.not_imported ?? []).join(';')]);
    }
    this.reports.writeCsv('organization-id-map.csv', ['kind', 'source_id', 'clerk_id', 'outcome', 'not_imported'], rows);
  }
}
