import { executeImport } from '../pipeline/import.js';
import { Command, Option } from 'commander';
import { EtlError } from '../errors.js';
import { ImportInterruptedError, type ImportSummary, type OnConflict } from '../pipeline/import-run.js';
import type { ExternalIdMode } from '../transform/import-user.js';
import { abortOnSignals, documentDefault, HELP_WITH_DEFAULTS, loggerFromFlags, logOptions, positiveInt, type LogFlags } from './common.js';
import { EXIT } from './exit-codes.js';
import { loadConfigFile } from '../config/load.js';
import { flagValue, pick } from '../config/merge.js';
import { clerkApiOptions, parseRateLimit } from './export.js';
import { DEFAULT_API_URL } from '../pipeline/clerk-connection.js';
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
  const prefix = s.dry_run ? 'dry-run-' : '';
  lines.push(`Reports: ${s.report_dir}/${prefix}id-map.csv, ${prefix}failures.ndjson, ${prefix}summary.json${s.dry_run ? '' : ', journal.ndjson'}`);
  if (s.stopped) lines.push(`Stopped: ${s.stopped}`);
  return lines.join('\n');
}

interface ImportFlags extends LogFlags {
  from: string;
  inputFormat: 'auto' | 'raw' | 'clerk-csv';
  report: string;
  onConflict: OnConflict;
  dryRun?: boolean;
  apiUrl?: string;
  concurrency: number;
  rateLimit?: string;
  externalId: ExternalIdMode;
  maxAttempts?: number;
  requestTimeout?: number;
  config?: string;
  progress: boolean;
}

export function importCommand(setExit: (code: number) => void): Command {
  const command = new Command('import')
    .description('Create users in Clerk from a file: this tool\'s raw export, any NDJSON / JSON array of Clerk Users, or the dashboard "Export users" CSV.')
    .configureHelp(HELP_WITH_DEFAULTS);
  // Help groups as for export; every option shows its default.
  command
    .optionsGroup('General:')
    .helpOption('-h, --help', 'show this help')
    .addOption(documentDefault(new Option('--config <file>', 'YAML config file (see config/); flags > config file > environment > defaults'), 'none'))
    .addOption(documentDefault(new Option('--dry-run', 'read, validate and map every record; send nothing'), 'off'))
    .addOption(new Option('--no-dry-run', 'send for real, even when the config file says dry_run: true'));
  logOptions(command, 'every request');
  command
    .optionsGroup('Source:')
    .option('--from <file>', 'the file to import; required, here or as import.from in --config')
    .addOption(new Option('--input-format <format>', 'auto: .csv is the dashboard CSV, anything else Clerk User JSON').choices(['auto', 'raw', 'clerk-csv']).default('auto'));
  command
    .optionsGroup('Reports and resume:')
    .option('--report <dir>', 'reports and the resume journal; re-run with the same folder to resume', './clerk-import-report');
  command
    .optionsGroup('Mapping and conflicts:')
    .addOption(new Option('--on-conflict <what>', 'when an email, phone, username or external_id already exists').choices(['skip', 'update', 'fail']).default('skip'))
    .addOption(new Option('--external-id <mode>', "source: the source's external_id, else its id; id: always the source id; keep: only the source's external_id").choices(['source', 'id', 'keep']).default('source'));
  clerkApiOptions(command);
  command
    .optionsGroup('Performance:')
    .option('--concurrency <n>', 'creates in flight at once (the rate limiter sets the pace)', positiveInt('--concurrency'), 8);
  return command
    .action(async (flags: ImportFlags, cmd: Command) => {
      const cfg = flags.config ? await loadConfigFile(flags.config) : undefined;
      const i = cfg?.import ?? {};
      const c = cfg?.clerk ?? {};
      const v = <T>(key: string, fromConfig: T | undefined, fromEnv?: T): T => pick(flagValue<T>(cmd, key), fromConfig, fromEnv, cmd.getOptionValue(key) as T).value;
      const from = v<string | undefined>('from', i.from);
      if (!from) throw new EtlError('USAGE', 'import needs --from <file> (or import.from in the config file).');
      const log = loggerFromFlags({ logFormat: v('logFormat', i.log_format), logLevel: v('logLevel', i.log_level) });
      const signals = abortOnSignals(log, {
        stopping: 'no new creates are sent, creates in flight are cancelled (the next run looks them up), the id map and summary are written',
        outcome: 'the import stopped',
      });
      try {
        const rateLimit = v<string | undefined>('rateLimit', c.rate_limit);
        const summary = await executeImport(
          {
            from,
            inputFormat: v('inputFormat', i.input_format),
            reportDir: v('report', i.report),
            onConflict: v('onConflict', i.on_conflict),
            dryRun: Boolean(v('dryRun', i.dry_run)),
            apiUrl: v('apiUrl', c.api_url, process.env.CLERK_API_URL || undefined) ?? DEFAULT_API_URL,
            secretKey: c.secret_key ?? (process.env.CLERK_SECRET_KEY || undefined),
            concurrency: v('concurrency', i.concurrency),
            rateLimit: rateLimit ? parseRateLimit(rateLimit) : undefined,
            externalId: v('externalId', i.external_id),
            maxAttempts: v('maxAttempts', i.max_attempts),
            requestTimeoutMs: v('requestTimeout', i.request_timeout_ms),
            progress: flags.progress,
          },
          log,
          signals.signal,
        );
        process.stdout.write(importSummaryText(summary) + '\n');
        setExit(summary.counts.failed > 0 ? EXIT.REJECTED : EXIT.OK);
      } catch (err) {
        // What was done before the signal, as after a finished run; the error line and exit 130 follow.
        if (err instanceof ImportInterruptedError) process.stdout.write(importSummaryText(err.summary) + '\n');
        throw err;
      } finally {
        signals.dispose();
      }
    });
}
