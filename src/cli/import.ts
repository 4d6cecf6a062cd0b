import { executeImport } from '../pipeline/import.js';
import { Command } from 'commander';
import { EtlError } from '../errors.js';
import { ImportInterruptedError, type ImportSummary } from '../pipeline/import-run.js';
import { abortOnSignals, HELP_WITH_DEFAULTS, loggerFromFlags } from './common.js';
import { EXIT } from './exit-codes.js';
import { loadConfigFile } from '../config/load.js';
import { IMPORT_HELP_GROUPS, IMPORT_SETTINGS } from '../settings/declarations.js';
import { addSettingOptions, resolveSettings } from './options.js';
import { duration, fmt } from '../pipeline/progress.js';




export function importSummaryText(s: ImportSummary): string {
  const c = s.counts;
  const lines = [
    s.dry_run
      ? `Dry run ${s.run_id}: ${fmt(c.read)} records read, ${fmt(c.would_create)} would be created, ${fmt(c.already_done)} already done, ${fmt(c.failed)} would fail. Nothing was sent.`
      : `Import ${s.run_id} ${s.stopped ? 'stopped after' : 'finished in'} ${duration(s.duration_ms / 1000)}: ${fmt(c.read)} records read, ${fmt(c.created)} created${c.recovered ? ` (${fmt(c.recovered)} after an ambiguous answer)` : ''}, ${fmt(c.updated)} updated, ${fmt(c.exists)} already existed, ${fmt(c.already_done)} done by an earlier run, ${fmt(c.failed)} failed.`,
  ];
  if (!s.dry_run) lines.push(`Throughput: ${s.writes_per_second} writes/s${s.clerk ? `; Clerk API: ${fmt(s.clerk.requests)} requests, ${fmt(s.clerk.retries)} retries, ${fmt(s.clerk.rate_limited_429)} answered 429` : ''}.`);
  const codes = Object.entries(s.failures_by_code).sort((a, b) => b[1] - a[1]);
  if (codes.length) {
    lines.push('Failures by error code:');
    for (const [code, n] of codes) lines.push(`  ${code.padEnd(36)} ${fmt(n).padStart(8)}`);
  }
  const ni = Object.entries(s.not_imported_by_field).sort((a, b) => b[1] - a[1]);
  if (ni.length) {
    lines.push('Not importable through the API (listed per user in the id map):');
    for (const [f, n] of ni) lines.push(`  ${f.padEnd(36)} ${fmt(n).padStart(8)} users`);
  }
  const o = s.organizations;
  if (o) {
    for (const [what, k] of [['Organizations', o.organizations], ['Memberships', o.memberships]] as const) {
      lines.push(
        s.dry_run
          ? `${what}: ${fmt(k.read)} read, ${fmt(k.would_create)} would be created, ${fmt(k.already_done)} already done, ${fmt(k.failed)} would fail.`
          : `${what}: ${fmt(k.read)} read, ${fmt(k.created)} created${k.recovered ? ` (${fmt(k.recovered)} after an ambiguous answer)` : ''}, ${fmt(k.updated)} updated, ${fmt(k.exists)} already existed, ${fmt(k.already_done)} done by an earlier run, ${fmt(k.failed)} failed.`,
      );
    }
    for (const [code, n] of Object.entries(o.failures_by_code).sort((a, b) => b[1] - a[1])) lines.push(`  ${code.padEnd(36)} ${fmt(n).padStart(8)}`);
    if (o.images_not_copied) lines.push(`Organization logos not copied (Clerk takes a logo as an upload): ${fmt(o.images_not_copied)}; listed per organization in organization-id-map.csv.`);
  }
  const prefix = s.dry_run ? 'dry-run-' : '';
  lines.push(`Reports: ${s.report_dir}/${prefix}id-map.csv, ${prefix}failures.ndjson, ${prefix}summary.json${s.dry_run ? '' : ', journal.ndjson'}`);
  if (o) lines.push(`Organizations: ${s.report_dir}/${prefix}organization-id-map.csv, ${prefix}organization-failures.ndjson${s.dry_run ? '' : ', organizations-journal.ndjson, memberships-journal.ndjson'}`);
  if (s.stopped) lines.push(`Stopped: ${s.stopped}`);
  return lines.join('\n');
}

export function importCommand(setExit: (code: number) => void): Command {
  const command = new Command('import')
    .description('Create users in Clerk from a file: this tool\'s raw export, any NDJSON / JSON array of Clerk Users, or the dashboard "Export users" CSV.')
    .configureHelp(HELP_WITH_DEFAULTS);
  // Help groups as for export; every option shows its default.
  command.optionsGroup('General:').helpOption('-h, --help', 'show this help');
  addSettingOptions(command, IMPORT_SETTINGS, IMPORT_HELP_GROUPS);
  return command
    .action(async (flags: { config?: string }, cmd: Command) => {
      const cfg = flags.config ? await loadConfigFile(flags.config) : undefined;
      const { config: _config, logFormat, logLevel, from, ...settings } = resolveSettings(IMPORT_SETTINGS, cmd, cfg);
      if (!from) throw new EtlError('USAGE', 'import needs --from <file> (or import.from in the config file).');
      const log = loggerFromFlags({ logFormat, logLevel });
      const signals = abortOnSignals(log, {
        stopping: 'no new creates are sent, creates in flight are cancelled (the next run looks them up), the id map and summary are written',
        outcome: 'the import stopped',
      });
      try {
        const summary = await executeImport(
          { ...settings, from },
          log,
          signals.signal,
        );
        process.stdout.write(importSummaryText(summary) + '\n');
        setExit(summary.counts.failed + (summary.organizations ? summary.organizations.organizations.failed + summary.organizations.memberships.failed : 0) > 0 ? EXIT.REJECTED : EXIT.OK);
      } catch (err) {
        // What was done before the signal, as after a finished run; the error line and exit 130 follow.
        if (err instanceof ImportInterruptedError) process.stdout.write(importSummaryText(err.summary) + '\n');
        throw err;
      } finally {
        signals.dispose();
      }
    });
}
