import { closeSync, writeSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { ClerkClient } from '../clerk/client.js';
import { isAmbiguous } from '../clerk/client.js';
import { computeRetryDelay, sleep } from '../clerk/retry.js';
import { clerkStatsReport, type ClerkStatsReport } from '../clerk/stats-report.js';
import type { ClerkUser } from '../model/clerk-types.js';
import { abortError, EtlError, isEtlError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Source } from '../extract/source.js';
import type { RunContext, SourceRecord } from '../model/records.js';
import { toCreateBody, toUpdateBody, type ExternalIdMode, type ImportUser } from '../transform/import-user.js';
import { type FieldProblem } from '../model/records.js';
import { ensurePrivateDir, openPrivate, writePrivateFile } from '../private-fs.js';
import { csvText, escapeFormula } from '../load/formats.js';
import { DONE_STATES, ImportJournal, type JournalEntry } from '../load/import-journal.js';
import { findSharedIdentifiers, findThisRecord, mapSourceRecord, type RecordLookup, type SharedIdentifier } from '../load/import-identity.js';
import { redactRecord } from '../load/redact-record.js';

export type OnConflict = 'skip' | 'update' | 'fail';

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
}

interface Failure {
  source_id: string | null;
  where: string;
  field?: string;
  code: string;
  message: string;
  clerk_trace_id?: string;
  status?: number;
  record: unknown;
}

/**
 * The import: read → map → validate → POST /v1/users, with the shared rate limiter, bounded
 * concurrency, a journal that makes re-runs skip what is done, and reports.
 *
 * Never a duplicate: a create that fails ambiguously (timeout, reset, 5xx) is followed by a lookup
 * by external_id before anything is sent again, and so is a create that a killed run left
 * `pending` in the journal.
 */
export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const { source, reportDir, signal, log, dryRun } = options;
  if (!dryRun && !options.client) throw new EtlError('INTERNAL', 'runImport needs a client unless dryRun.');
  const started = Date.now();
  const journal = dryRun ? undefined : new ImportJournal(reportDir, log);
  const failuresFd = openPrivate(path.join(ensurePrivateDir(reportDir), dryRun ? 'dry-run-failures.ndjson' : 'failures.ndjson'), 'w');
  const counts: ImportCounts = { read: 0, created: 0, updated: 0, exists: 0, already_done: 0, failed: 0, would_create: 0, recovered: 0 };
  const failuresByCode: Record<string, number> = {};
  const notImportedByField: Record<string, number> = {};
  const dryRunRows: Array<{ source_id: string; outcome: string; not_imported: string[] }> = [];
  const thisRunFailed = new Map<string, Failure>();
  const seen = new Set<string>();
  const stopper = new AbortController();
  const runSignal = AbortSignal.any([signal, stopper.signal]);
  let stopped: EtlError | undefined;
  /** An unexpected error of one record; it stops the run (see `stopOn`). */
  let fatal: unknown;
  /** Records (by `where`) that share an identifier with an earlier record; found before the first request. */
  let shared: Map<string, SharedIdentifier> = new Map();
  let sendingMs = 0;
  let firstSend = 0;
  const ctx: RunContext = { signal: runSignal, log, runId: options.runId };
  const limit = pLimit(options.concurrency ?? 8);

  const fail = (f: Failure): void => {
    counts.failed++;
    failuresByCode[f.code] = (failuresByCode[f.code] ?? 0) + 1;
    writeSync(failuresFd, JSON.stringify({ ...f, record: redactRecord(f.record) }) + '\n');
    if (f.source_id) {
      thisRunFailed.set(f.source_id, f);
      journal?.record({ source_id: f.source_id, state: 'failed', where: f.where, code: f.code });
    }
    if (counts.failed <= 20) log.warn('import failed for a record', { where: f.where, source_id: f.source_id, code: f.code, message: f.message });
  };
  const invalid = (rec: SourceRecord, id: string | null, problems: FieldProblem[]): void =>
    fail({
      source_id: id,
      where: rec.where,
      field: problems[0]?.field,
      code: 'RECORD_INVALID',
      message: problems.map((p) => `${p.field}: ${p.problem}`).join('; '),
      // A record the source could not read is not copied: a secret may sit anywhere in it (an
      // unbalanced quote pulls a row's digest into its name cell); its line or row is named.
      record: rec.error !== undefined ? null : (rec.value ?? null),
    });

  /**
   * The source record the journal maps a Clerk user to. Built from the journal on first need (only
   * conflicts and ambiguous creates ask). Within this run no two records can match one user: records
   * that share an identifier are failed before the first request (`shared`).
   */
  let clerkIdOwners: Map<string, string> | undefined;
  const ownerOf = (clerkId: string): string | undefined => {
    clerkIdOwners ??= new Map([...journal!.entries()].flatMap((e) => (e.clerk_id && DONE_STATES.has(e.state) ? [[e.clerk_id, e.source_id] as const] : [])));
    return clerkIdOwners.get(clerkId);
  };
  /** The Clerk user that provably is this record and that no other record was mapped to, if any. */
  const lookUp = async (client: ClerkClient, body: Record<string, unknown>, sourceId: string, param?: string): Promise<RecordLookup> => {
    const found = await findThisRecord(client, body, runSignal, param);
    if (!found.same) return found;
    const owner = ownerOf(found.same.id);
    if (owner !== undefined && owner !== sourceId) return { other: found.same, why: `the journal maps it to source record ${owner}` };
    clerkIdOwners!.set(found.same.id, sourceId);
    return found;
  };

  const handle = async (rec: SourceRecord): Promise<void> => {
    if (runSignal.aborted) return;
    // 1. Map the record.
    const mapped = mapSourceRecord(rec, options.inputKind);
    const sourceId = mapped.sourceId;
    if (!mapped.user) return invalid(rec, sourceId, mapped.problems);
    const user = mapped.user;
    if (seen.has(user.sourceId)) return invalid(rec, user.sourceId, [{ field: 'id', problem: `duplicate source id ${user.sourceId}: an earlier record of this input has it` }]);
    seen.add(user.sourceId);
    // 2. Skip what an earlier run finished.
    const prior = journal?.get(user.sourceId);
    if (prior && DONE_STATES.has(prior.state)) {
      counts.already_done++;
      return;
    }
    const sharing = shared.get(rec.where);
    if (sharing && sharing.sourceId === user.sourceId) {
      return fail({
        source_id: user.sourceId,
        where: rec.where,
        field: sharing.field,
        code: 'DUPLICATE_IDENTIFIER',
        message: `${sharing.field} is also on ${sharing.first.where} (source id ${sharing.first.sourceId}), an earlier record of this input. Clerk holds each ${sharing.field} once, so importing both would merge two people: only the earlier one is sent. Fix the input and re-run.`,
        record: rec.value,
      });
    }
    const { body, problems } = toCreateBody(user, { externalId: options.externalId });
    if (problems.length) return invalid(rec, user.sourceId, problems);
    const notImported = user.notImported.map((n) => n.field);
    for (const f of notImported) notImportedByField[f.replace(/\[\d+\]/, '[]')] = (notImportedByField[f.replace(/\[\d+\]/, '[]')] ?? 0) + 1;
    if (dryRun) {
      counts.would_create++;
      dryRunRows.push({ source_id: user.sourceId, outcome: 'would_create', not_imported: notImported });
      return;
    }
    const client = options.client!;
    if (!firstSend) firstSend = Date.now();
    // 3. A create a killed run left pending may have happened: look before sending.
    if (prior?.state === 'pending') {
      const found = (await lookUp(client, body, user.sourceId)).same;
      if (found) {
        counts.created++;
        counts.recovered++;
        journal!.record({ source_id: user.sourceId, state: 'created', clerk_id: found.id, where: rec.where, note: 'recovered', not_imported: notImported });
        return;
      }
    }
    journal!.record({ source_id: user.sourceId, state: 'pending', where: rec.where });
    const policy = client.retryPolicy;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await client.request<ClerkUser>('POST', '/v1/users', { body, signal: runSignal });
        counts.created++;
        journal!.record({ source_id: user.sourceId, state: 'created', clerk_id: res.data.id, where: rec.where, not_imported: notImported });
        return;
      } catch (err) {
        if (runSignal.aborted) throw err;
        // A 429 was already retried by the client, per the one retry policy (--max-attempts).
        if (isAmbiguous(err)) {
          // The create may have happened: never send it again before looking.
          const found = (await lookUp(client, body, user.sourceId)).same;
          if (found) {
            counts.created++;
            counts.recovered++;
            journal!.record({ source_id: user.sourceId, state: 'created', clerk_id: found.id, where: rec.where, note: 'recovered', not_imported: notImported });
            return;
          }
          // Not created: send again, as often and as spaced out as the retry policy says.
          if (attempt < policy.maxAttempts) {
            log.warn('create was ambiguous; the user does not exist, sending again', { source_id: user.sourceId, attempt, max_attempts: policy.maxAttempts, error: (err as Error).message });
            await sleep(computeRetryDelay(attempt, policy), runSignal);
            continue;
          }
        }
        if (isEtlError(err) && err.clerkCode === 'form_identifier_exists') {
          // Clerk refused the create: no longer `pending`, so a stop during the lookup below cannot
          // make a re-run report a user that was already there as created by this import.
          journal!.record({ source_id: user.sourceId, state: 'failed', where: rec.where, code: 'form_identifier_exists' });
          await conflict(client, rec, user, body, err, notImported);
          return;
        }
        const e = err as EtlError;
        fail({
          source_id: user.sourceId,
          where: rec.where,
          code: e.clerkCode ?? e.code ?? 'ERROR',
          message: e.message,
          clerk_trace_id: e.traceId,
          status: e.status,
          field: paramName(e),
          record: rec.value,
        });
        // 401 (the key) or 403 (e.g. the user quota): Clerk refused the request itself, so this user
        // was not created (recorded failed, not left pending for a re-run to mistake an existing user
        // for one this run created), and no other create can succeed either: stop the run.
        if (stopsTheRun(err)) throw err;
        return;
      }
    }
  };

  const conflict = async (client: ClerkClient, rec: SourceRecord, user: ImportUser, body: Record<string, unknown>, err: EtlError, notImported: string[]): Promise<void> => {
    const param = paramName(err);
    if (options.onConflict === 'fail') {
      fail({ source_id: user.sourceId, where: rec.where, field: param, code: 'form_identifier_exists', message: err.message, clerk_trace_id: err.traceId, status: err.status, record: rec.value });
      stopped = new EtlError('IMPORT_CONFLICT', `Stopped at ${rec.where} (${user.sourceId}): ${param ?? 'an identifier'} already exists in Clerk and --on-conflict is fail. Re-run with --on-conflict skip or update to go on; what was done is in the journal.`);
      stopper.abort(stopped);
      return;
    }
    // The identifier may belong to someone else (two people sharing an external_id or an email):
    // never map this record to that user, and never overwrite it. Only a user that provably is this
    // record counts (see notSameRecord); one Clerk cannot show us fails too, so a re-run tries again.
    const found = await lookUp(client, body, user.sourceId, param);
    const existing = found.same;
    if (!existing) {
      const holder = found.other
        ? `another Clerk user (${found.other.id}, external_id ${JSON.stringify(found.other.external_id ?? null)}), not this record: ${found.why}`
        : 'a Clerk user that a lookup by it does not return';
      fail({
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
    if (options.onConflict === 'skip') {
      counts.exists++;
      journal!.record({ source_id: user.sourceId, state: 'exists', clerk_id: existing.id, where: rec.where, code: 'form_identifier_exists' });
      return;
    }
    try {
      await client.request('PATCH', `/v1/users/${encodeURIComponent(existing.id)}`, { body: toUpdateBody(body), signal: runSignal });
      await client.request('PUT', `/v1/users/${encodeURIComponent(existing.id)}/metadata`, {
        body: { public_metadata: body.public_metadata ?? {}, private_metadata: body.private_metadata ?? {}, unsafe_metadata: body.unsafe_metadata ?? {} },
        signal: runSignal,
      });
      counts.updated++;
      journal!.record({ source_id: user.sourceId, state: 'updated', clerk_id: existing.id, where: rec.where, not_imported: notImported });
    } catch (e) {
      if (runSignal.aborted) throw e;
      const ee = e as EtlError;
      fail({ source_id: user.sourceId, where: rec.where, code: ee.clerkCode ?? ee.code, message: `update of existing user ${existing.id} failed: ${ee.message}`, clerk_trace_id: ee.traceId, status: ee.status, field: paramName(ee), record: rec.value });
      if (stopsTheRun(e)) throw e;
    }
  };

  /**
   * An error that escapes a record stops the whole run at once: requests in flight are aborted (their
   * creates stay `pending`, looked up on the re-run) and queued records never start. A 401/403 is a
   * stop with reports written; anything else is rethrown after the batch settles.
   */
  const stopOn = (err: unknown, rec: SourceRecord): never => {
    if (!runSignal.aborted) {
      if (stopsTheRun(err)) {
        stopped = new EtlError(err.code, `${err.message} The import stopped at ${rec.where} and sent nothing more; what was done is in the journal.`, {
          status: err.status,
          clerkCode: err.clerkCode,
          traceId: err.traceId,
          cause: err,
        });
        stopper.abort(stopped);
      } else {
        fatal = err;
        stopper.abort(err);
      }
    }
    throw err;
  };

  // After every record, not every batch: a batch of 1,000 creates at Clerk's development limit
  // takes over a minute and a half.
  const progress = (): void =>
    options.onProgress?.({ read: counts.read, done: counts.created + counts.updated + counts.exists + counts.already_done + counts.would_create, failed: counts.failed });
  let failure: { error: unknown } | undefined;
  try {
    const checking = Date.now();
    shared = await findSharedIdentifiers(source, ctx, { inputKind: options.inputKind, externalId: options.externalId });
    log.info('input checked for records that share an identifier', { shared: shared.size, ms: Date.now() - checking });
    if (shared.size) {
      log.warn(`${shared.size} record(s) share an identifier with an earlier record of the input; they will fail, nothing of them is sent`, {
        first: [...shared].slice(0, 5).map(([where, s]) => `${where} (${s.sourceId}): ${s.field} also on ${s.first.where} (${s.first.sourceId})`),
      });
    }
    for await (const batch of source.read(ctx)) {
      if (runSignal.aborted) break;
      const t0 = Date.now();
      const results = await Promise.allSettled(
        batch.map((rec) =>
          limit(async () => {
            // Counted when its turn comes: records a stop (signal, 401/403, --on-conflict fail) leaves unread are not.
            if (runSignal.aborted) return;
            counts.read++;
            try {
              await handle(rec);
            } catch (err) {
              stopOn(err, rec);
            } finally {
              progress();
            }
          }),
        ),
      );
      sendingMs += Date.now() - t0;
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected && !stopped && !signal.aborted) throw fatal ?? rejected.reason;
      if (stopped) break;
    }
  } catch (err) {
    // On a signal the source and the requests in flight throw: that is the interrupt, reported below.
    if (!signal.aborted) failure = { error: err };
  } finally {
    closeSync(failuresFd);
    journal?.close();
  }
  // Records the loop never reached (a --on-conflict fail stop) are not counted as read.
  const finished = Date.now();
  const summary: ImportSummary = {
    run_id: options.runId,
    dry_run: dryRun,
    on_conflict: options.onConflict,
    source: source.description,
    report_dir: path.resolve(reportDir),
    started_at: new Date(started).toISOString(),
    finished_at: new Date(finished).toISOString(),
    duration_ms: finished - started,
    counts,
    failures_by_code: failuresByCode,
    not_imported_by_field: notImportedByField,
    writes_per_second: sendingMs > 0 ? Math.round(((counts.created + counts.updated) / (sendingMs / 1000)) * 100) / 100 : 0,
    ...(options.client ? { clerk: clerkStatsReport(options.client.stats) } : {}),
    ...(stopped ? { stopped: stopped.message } : {}),
  };
  // Whatever ended the run, the id map and the summary say what it did (the journal has it all).
  if (!stopped && signal.aborted) {
    const interrupted = new ImportInterruptedError(interruptedMessage(abortError(signal), summary, journal), summary);
    summary.stopped = interrupted.message;
    writeReports(reportDir, summary, journal, dryRunRows, thisRunFailed);
    throw interrupted;
  }
  if (!stopped && failure) summary.stopped = failure.error instanceof Error ? failure.error.message : String(failure.error);
  writeReports(reportDir, summary, journal, dryRunRows, thisRunFailed);
  if (stopped) throw stopped;
  if (failure) throw failure.error;
  return summary;
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

/** Clerk's `meta.param_name` of the error, e.g. `email_address`. */
function paramName(err: EtlError): string | undefined {
  return err.clerkParam;
}

/**
 * Errors after which no request of the run can succeed: 401 (Clerk rejected the key) and 403 (the
 * key may not do this, or the instance is at its user quota: `user_quota_exceeded`).
 */
function stopsTheRun(err: unknown): err is EtlError {
  return isEtlError(err, 'CLERK_AUTH') || (isEtlError(err) && err.status === 403);
}

function writeReports(
  reportDir: string,
  summary: ImportSummary,
  journal: ImportJournal | undefined,
  dryRunRows: Array<{ source_id: string; outcome: string; not_imported: string[] }>,
  failed: Map<string, Failure>,
): void {
  const rows: Array<Record<string, string>> = [];
  if (journal) {
    for (const e of journal.entries()) rows.push(mapRow(e));
  } else {
    for (const r of dryRunRows) rows.push({ source_id: r.source_id, clerk_user_id: '', outcome: r.outcome, not_imported: r.not_imported.join(';') });
    for (const [id, f] of failed) rows.push({ source_id: id, clerk_user_id: '', outcome: 'failed', not_imported: '', error_code: f.code } as Record<string, string>);
  }
  // The export's CSV rules (README "CSV formula injection"): RFC 4180 quoting, and a cell a
  // spreadsheet would run as a formula (a source id `=HYPERLINK(…)`) gets a leading `'`.
  const cell = (v: string | undefined): string => (v ? csvText(escapeFormula(v)) : '');
  const csv = rows.map((r) => [r.source_id, r.clerk_user_id, r.outcome, r.not_imported].map(cell).join(',') + '\r\n').join('');
  const file = summary.dry_run ? 'dry-run-id-map.csv' : 'id-map.csv';
  writePrivateFile(path.join(reportDir, file), 'source_id,clerk_user_id,outcome,not_imported\r\n' + csv);
  writePrivateFile(path.join(reportDir, summary.dry_run ? 'dry-run-summary.json' : 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
}

function mapRow(e: JournalEntry): Record<string, string> {
  const outcome = e.state === 'pending' ? 'unknown' : e.state;
  return { source_id: e.source_id, clerk_user_id: e.clerk_id ?? '', outcome, not_imported: (e.not_imported ?? []).join(';') };
}
