import path from 'node:path';
import pLimit from 'p-limit';
import type { ClerkClient } from '../clerk/client.js';
import { clerkStatsReport, type ClerkStatsReport } from '../clerk/stats-report.js';
import { abortError, EtlError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Source } from '../extract/source.js';
import type { FieldProblem, RunContext, SourceRecord } from '../model/records.js';
import { mapSourceRecord, toCreateBody, type ExternalIdMode, type ImportUser } from '../transform/import-user.js';
import { DONE_STATES, ImportJournal } from '../state/import-journal.js';
import { findSharedIdentifiers, type SharedIdentifier } from '../load/import-identity.js';
import { ClerkUserWriter, stopsTheRun, type ClerkUserOwners } from '../load/clerk-user-writer.js';
import { ImportReports, type DryRunRow, type ImportFailure } from '../load/import-reports.js';
import type { OrgImportSummary } from './import-orgs.js';

import type { OnConflict } from '../model/records.js';
export type { OnConflict };

export interface ImportOptions {
  source: Source;
  /** How records are read: Clerk User objects, or rows of the dashboard CSV. */
  inputKind: 'raw' | 'clerk-csv';
  /** Needed unless dryRun. */
  client?: ClerkClient;
  reportDir: string;
  onConflict: OnConflict;
  dryRun: boolean;
  /**
   * Creates in flight at once. The shared rate limiter sets the pace; this only has to cover the
   * latency (rate × round trip). Default 8.
   */
  concurrency?: number;
  externalId?: ExternalIdMode;
  runId: string;
  signal: AbortSignal;
  log: Logger;
  onProgress?: (p: { read: number; done: number; failed: number }) => void;
}

export interface ImportCounts {
  /** Records read from the source. */
  read: number;
  created: number;
  /** Existing users updated (--on-conflict update). */
  updated: number;
  /** Identifier already taken; left as it was (--on-conflict skip). */
  exists: number;
  /** Done by an earlier run (journal). */
  already_done: number;
  failed: number;
  /** --dry-run: would have been sent. */
  would_create: number;
  /** Ambiguous creates (timeout, reset, 5xx) that turned out to have succeeded. */
  recovered: number;
}

export interface ImportSummary {
  run_id: string;
  dry_run: boolean;
  on_conflict: OnConflict;
  source: Record<string, unknown>;
  report_dir: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  counts: ImportCounts;
  /** Failures by error code (Clerk's `errors[0].code`, or ours: `RECORD_INVALID`, …). */
  failures_by_code: Record<string, number>;
  /** Source fields Clerk could not take, by field, over the records of this run. */
  not_imported_by_field: Record<string, number>;
  /** Creates (and updates) per second of this run's sending time. */
  writes_per_second: number;
  clerk?: ClerkStatsReport;
  stopped?: string;
  /** An import of an export folder: what became of its organizations and memberships. */
  organizations?: OrgImportSummary;
}

/**
 * The import: read → map → validate → write to Clerk ({@link ClerkUserWriter}), with the shared rate
 * limiter, bounded concurrency, a journal that makes re-runs skip what is done, and reports.
 *
 * Never a duplicate: a create that fails ambiguously (timeout, reset, 5xx) is looked up before
 * anything is sent again, and so is a create that a killed run left `pending` in the journal.
 */
export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  if (!options.dryRun && !options.client) throw new EtlError('INTERNAL', 'runImport needs a client unless dryRun.');
  return new ImportRun(options).run();
}

/** One import run: its counts, journal, reports and stop state; the stages are called from here in order. */
class ImportRun implements ClerkUserOwners {
  private readonly started = Date.now();
  private readonly journal: ImportJournal | undefined;
  private readonly reports: ImportReports;
  private readonly counts: ImportCounts = { read: 0, created: 0, updated: 0, exists: 0, already_done: 0, failed: 0, would_create: 0, recovered: 0 };
  private readonly failuresByCode: Record<string, number> = {};
  private readonly notImportedByField: Record<string, number> = {};
  private readonly dryRunRows: DryRunRow[] = [];
  private readonly thisRunFailed = new Map<string, ImportFailure>();
  private readonly seen = new Set<string>();
  private readonly stopper = new AbortController();
  /** The caller's signal or a stop of the run (401/403, --on-conflict fail, an unexpected error). */
  private readonly runSignal: AbortSignal;
  private readonly writer: ClerkUserWriter | undefined;
  /** A stop with reports written: 401/403 or --on-conflict fail. */
  private stopped: EtlError | undefined;
  /** An unexpected error of one record; it stops the run (see `stopOn`). */
  private fatal: unknown;
  /** Records (by `where`) that share an identifier with an earlier record; found before the first request. */
  private shared: Map<string, SharedIdentifier> = new Map();
  private sendingMs = 0;
  /**
   * The source record the journal maps a Clerk user to. Built from the journal on first need (only
   * conflicts and ambiguous creates ask). Within this run no two records can match one user: records
   * that share an identifier are failed before the first request (`shared`).
   */
  private clerkIdOwners: Map<string, string> | undefined;

  constructor(private readonly options: ImportOptions) {
    this.journal = options.dryRun ? undefined : new ImportJournal(options.reportDir, options.log);
    this.reports = new ImportReports(options.reportDir, options.dryRun);
    this.runSignal = AbortSignal.any([options.signal, this.stopper.signal]);
    this.writer = options.client && !options.dryRun ? new ClerkUserWriter(options.client, this, this.runSignal, options.log) : undefined;
  }

  ownerOf(clerkId: string): string | undefined {
    this.clerkIdOwners ??= new Map([...this.journal!.entries()].flatMap((e) => (e.clerk_id && DONE_STATES.has(e.state) ? [[e.clerk_id, e.source_id] as const] : [])));
    return this.clerkIdOwners.get(clerkId);
  }

  claim(clerkId: string, sourceId: string): void {
    this.clerkIdOwners?.set(clerkId, sourceId);
  }

  async run(): Promise<ImportSummary> {
    const { source, signal, log } = this.options;
    const ctx: RunContext = { signal: this.runSignal, log, runId: this.options.runId };
    const limit = pLimit(this.options.concurrency ?? 8);
    let failure: { error: unknown } | undefined;
    try {
      const checking = Date.now();
      this.shared = await findSharedIdentifiers(source, ctx, { inputKind: this.options.inputKind, externalId: this.options.externalId });
      log.info('input checked for records that share an identifier', { shared: this.shared.size, ms: Date.now() - checking });
      if (this.shared.size) {
        log.warn(`${this.shared.size} record(s) share an identifier with an earlier record of the input; they will fail, nothing of them is sent`, {
          first: [...this.shared].slice(0, 5).map(([where, s]) => `${where} (${s.sourceId}): ${s.field} also on ${s.first.where} (${s.first.sourceId})`),
        });
      }
      for await (const batch of source.read(ctx)) {
        if (this.runSignal.aborted) break;
        const t0 = Date.now();
        const results = await Promise.allSettled(
          batch.map((rec) =>
            limit(async () => {
              // Counted when its turn comes: records a stop (signal, 401/403, --on-conflict fail) leaves unread are not.
              if (this.runSignal.aborted) return;
              this.counts.read++;
              try {
                await this.handle(rec);
              } catch (err) {
                this.stopOn(err, rec);
              } finally {
                this.progress();
              }
            }),
          ),
        );
        this.sendingMs += Date.now() - t0;
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (rejected && !this.stopped && !signal.aborted) throw this.fatal ?? rejected.reason;
        if (this.stopped) break;
      }
    } catch (err) {
      // On a signal the source and the requests in flight throw: that is the interrupt, reported below.
      if (!signal.aborted) failure = { error: err };
    } finally {
      this.reports.closeFailures();
      this.journal?.close();
    }
    // Whatever ended the run, the id map and the summary say what it did (the journal has it all).
    const summary = this.summary();
    if (!this.stopped && signal.aborted) {
      const interrupted = new ImportInterruptedError(interruptedMessage(abortError(signal), summary, this.journal), summary);
      summary.stopped = interrupted.message;
      this.writeReports(summary);
      throw interrupted;
    }
    if (!this.stopped && failure) summary.stopped = failure.error instanceof Error ? failure.error.message : String(failure.error);
    this.writeReports(summary);
    if (this.stopped) throw this.stopped;
    if (failure) throw failure.error;
    return summary;
  }

  /** One record: map, skip what is done or shared, validate, then create (or count it in a dry run). */
  private async handle(rec: SourceRecord): Promise<void> {
    if (this.runSignal.aborted) return;
    const mapped = mapSourceRecord(rec, this.options.inputKind);
    if (!mapped.user) return this.invalid(rec, mapped.sourceId, mapped.problems);
    const user = mapped.user;
    if (this.seen.has(user.sourceId)) return this.invalid(rec, user.sourceId, [{ field: 'id', problem: `duplicate source id ${user.sourceId}: an earlier record of this input has it` }]);
    this.seen.add(user.sourceId);
    // Skip what an earlier run finished.
    const prior = this.journal?.get(user.sourceId);
    if (prior && DONE_STATES.has(prior.state)) {
      this.counts.already_done++;
      return;
    }
    const sharing = this.shared.get(rec.where);
    if (sharing && sharing.sourceId === user.sourceId) {
      return this.fail({
        source_id: user.sourceId,
        where: rec.where,
        field: sharing.field,
        code: 'DUPLICATE_IDENTIFIER',
        message: `${sharing.field} is also on ${sharing.first.where} (source id ${sharing.first.sourceId}), an earlier record of this input. Clerk holds each ${sharing.field} once, so importing both would merge two people: only the earlier one is sent. Fix the input and re-run.`,
        record: rec.value,
      });
    }
    const { body, problems } = toCreateBody(user, { externalId: this.options.externalId });
    if (problems.length) return this.invalid(rec, user.sourceId, problems);
    const notImported = user.notImported.map((n) => n.field);
    for (const f of notImported) {
      const key = f.replace(/\[\d+\]/, '[]');
      this.notImportedByField[key] = (this.notImportedByField[key] ?? 0) + 1;
    }
    if (!this.writer) {
      this.counts.would_create++;
      this.dryRunRows.push({ source_id: user.sourceId, outcome: 'would_create', not_imported: notImported });
      return;
    }
    await this.create(this.writer, rec, user, body, prior?.state === 'pending', notImported);
  }

  private async create(writer: ClerkUserWriter, rec: SourceRecord, user: ImportUser, body: Record<string, unknown>, wasPending: boolean, notImported: string[]): Promise<void> {
    const created = (clerkId: string, recovered: boolean): void => {
      this.counts.created++;
      if (recovered) this.counts.recovered++;
      this.journal!.record({ source_id: user.sourceId, state: 'created', clerk_id: clerkId, where: rec.where, ...(recovered ? { note: 'recovered' } : {}), not_imported: notImported });
    };
    // A create a killed run left pending may have happened: look before sending.
    if (wasPending) {
      const found = (await writer.lookUp(body, user.sourceId)).same;
      if (found) return created(found.id, true);
    }
    this.journal!.record({ source_id: user.sourceId, state: 'pending', where: rec.where });
    let outcome;
    try {
      outcome = await writer.create(body, user.sourceId);
    } catch (err) {
      if (this.runSignal.aborted) throw err;
      const e = err as EtlError;
      this.fail({ source_id: user.sourceId, where: rec.where, code: e.clerkCode ?? e.code ?? 'ERROR', message: e.message, clerk_trace_id: e.traceId, status: e.status, field: e.clerkParam, record: rec.value });
      // 401 (the key) or 403 (e.g. the user quota): Clerk refused the request itself, so this user
      // was not created (recorded failed, not left pending for a re-run to mistake an existing user
      // for one this run created), and no other create can succeed either: stop the run.
      if (stopsTheRun(err)) throw err;
      return;
    }
    if (outcome.kind === 'created') return created(outcome.clerkId, outcome.recovered);
    // Clerk refused the create: no longer `pending`, so a stop during the lookup below cannot
    // make a re-run report a user that was already there as created by this import.
    this.journal!.record({ source_id: user.sourceId, state: 'failed', where: rec.where, code: 'form_identifier_exists' });
    await this.conflict(writer, rec, user, body, outcome.error, notImported);
  }

  private async conflict(writer: ClerkUserWriter, rec: SourceRecord, user: ImportUser, body: Record<string, unknown>, err: EtlError, notImported: string[]): Promise<void> {
    const param = err.clerkParam;
    if (this.options.onConflict === 'fail') {
      this.fail({ source_id: user.sourceId, where: rec.where, field: param, code: 'form_identifier_exists', message: err.message, clerk_trace_id: err.traceId, status: err.status, record: rec.value });
      this.stopped = new EtlError('IMPORT_CONFLICT', `Stopped at ${rec.where} (${user.sourceId}): ${param ?? 'an identifier'} already exists in Clerk and --on-conflict is fail. Re-run with --on-conflict skip or update to go on; what was done is in the journal.`);
      this.stopper.abort(this.stopped);
      return;
    }
    // The identifier may belong to someone else (two people sharing an external_id or an email):
    // never map this record to that user, and never overwrite it. Only a user that provably is this
    // record counts (see notSameRecord); one Clerk cannot show us fails too, so a re-run tries again.
    const found = await writer.lookUp(body, user.sourceId, param);
    const existing = found.same;
    if (!existing) {
      const holder = found.other
        ? `another Clerk user (${found.other.id}, external_id ${JSON.stringify(found.other.external_id ?? null)}), not this record: ${found.why}`
        : 'a Clerk user that a lookup by it does not return';
      this.fail({
        source_id: user.sourceId,
        where: rec.where,
        field: param,
        code: 'form_identifier_exists',
        message: `${param ?? 'an identifier'} already belongs to ${holder}; not created, not merged. ${err.message}`,
        clerk_trace_id: err.traceId,
        status: err.status,
        record: rec.value,
      });
      return;
    }
    if (this.options.onConflict === 'skip') {
      this.counts.exists++;
      this.journal!.record({ source_id: user.sourceId, state: 'exists', clerk_id: existing.id, where: rec.where, code: 'form_identifier_exists' });
      return;
    }
    try {
      await writer.update(existing.id, body);
      this.counts.updated++;
      this.journal!.record({ source_id: user.sourceId, state: 'updated', clerk_id: existing.id, where: rec.where, not_imported: notImported });
    } catch (e) {
      if (this.runSignal.aborted) throw e;
      const ee = e as EtlError;
      this.fail({ source_id: user.sourceId, where: rec.where, code: ee.clerkCode ?? ee.code, message: `update of existing user ${existing.id} failed: ${ee.message}`, clerk_trace_id: ee.traceId, status: ee.status, field: ee.clerkParam, record: rec.value });
      if (stopsTheRun(e)) throw e;
    }
  }

  private fail(f: ImportFailure): void {
    this.counts.failed++;
    this.failuresByCode[f.code] = (this.failuresByCode[f.code] ?? 0) + 1;
    this.reports.failure(f);
    if (f.source_id) {
      this.thisRunFailed.set(f.source_id, f);
      this.journal?.record({ source_id: f.source_id, state: 'failed', where: f.where, code: f.code });
    }
    if (this.counts.failed <= 20) this.options.log.warn('import failed for a record', { where: f.where, source_id: f.source_id, code: f.code, message: f.message });
  }

  private invalid(rec: SourceRecord, id: string | null, problems: FieldProblem[]): void {
    this.fail({
      source_id: id,
      where: rec.where,
      field: problems[0]?.field,
      code: 'RECORD_INVALID',
      message: problems.map((p) => `${p.field}: ${p.problem}`).join('; '),
      // A record the source could not read is not copied: a secret may sit anywhere in it (an
      // unbalanced quote pulls a row's digest into its name cell); its line or row is named.
      record: rec.error !== undefined ? null : (rec.value ?? null),
    });
  }

  /**
   * An error that escapes a record stops the whole run at once: requests in flight are aborted (their
   * creates stay `pending`, looked up on the re-run) and queued records never start. A 401/403 is a
   * stop with reports written; anything else is rethrown after the batch settles.
   */
  private stopOn(err: unknown, rec: SourceRecord): never {
    if (!this.runSignal.aborted) {
      if (stopsTheRun(err)) {
        this.stopped = new EtlError(err.code, `${err.message} The import stopped at ${rec.where} and sent nothing more; what was done is in the journal.`, {
          status: err.status,
          clerkCode: err.clerkCode,
          traceId: err.traceId,
          cause: err,
        });
        this.stopper.abort(this.stopped);
      } else {
        this.fatal = err;
        this.stopper.abort(err);
      }
    }
    throw err;
  }

  /** After every record, not every batch: a batch of 1,000 creates at Clerk's development limit takes over a minute and a half. */
  private progress(): void {
    const c = this.counts;
    this.options.onProgress?.({ read: c.read, done: c.created + c.updated + c.exists + c.already_done + c.would_create, failed: c.failed });
  }

  /** Records the loop never reached (a --on-conflict fail stop) are not counted as read. */
  private summary(): ImportSummary {
    const finished = Date.now();
    const c = this.counts;
    return {
      run_id: this.options.runId,
      dry_run: this.options.dryRun,
      on_conflict: this.options.onConflict,
      source: this.options.source.description,
      report_dir: path.resolve(this.options.reportDir),
      started_at: new Date(this.started).toISOString(),
      finished_at: new Date(finished).toISOString(),
      duration_ms: finished - this.started,
      counts: c,
      failures_by_code: this.failuresByCode,
      not_imported_by_field: this.notImportedByField,
      writes_per_second: this.sendingMs > 0 ? Math.round(((c.created + c.updated) / (this.sendingMs / 1000)) * 100) / 100 : 0,
      ...(this.options.client ? { clerk: clerkStatsReport(this.options.client.stats) } : {}),
      ...(this.stopped ? { stopped: this.stopped.message } : {}),
    };
  }

  private writeReports(summary: ImportSummary): void {
    this.reports.finish(summary, this.journal, this.dryRunRows, this.thisRunFailed);
  }
}

/** An import stopped by SIGINT/SIGTERM (or its signal): the reports are written; `summary` says what was done. */
export class ImportInterruptedError extends EtlError {
  constructor(
    message: string,
    readonly summary: ImportSummary,
  ) {
    super('ABORTED', message);
  }
}

function interruptedMessage(reason: EtlError, s: ImportSummary, journal: ImportJournal | undefined): string {
  const c = s.counts;
  let unknown = 0;
  for (const e of journal?.entries() ?? []) if (e.state === 'pending') unknown++;
  const done = s.dry_run
    ? `${c.would_create} would be created, ${c.failed} would fail`
    : `${c.created} users created, ${c.updated} updated, ${c.exists} already existed, ${c.failed} failed`;
  return (
    `${reason.message.replace(/\.$/, '')}. Done so far: ${done}${c.already_done ? `, ${c.already_done} done by an earlier run` : ''}.` +
    (unknown ? ` ${unknown} create(s) were in flight: Clerk may have made them; the next run looks them up before sending anything.` : '') +
    ` The id map and summary are in ${s.report_dir}; run the same command again to go on.`
  );
}

