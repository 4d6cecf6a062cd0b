import { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EtlError } from '../errors.js';
import { startEmulator } from '../emulator/server.js';
import { abortOnSignals, loggerFromFlags, nonNegativeInt, positiveInt, type LogFlags } from './common.js';
import { EXIT } from './exit-codes.js';
import { summaryText } from './export.js';
import { executeExport } from '../pipeline/export.js';

interface DemoFlags extends LogFlags {
  users: number;
  to: string;
  seed: number;
}

/** The file that marks a folder as the demo's own output: only such a folder is replaced by the next demo. */
export const DEMO_MARKER = '.clerk-etl-demo';

/**
 * Make `to` an empty folder holding only the marker. A folder the demo wrote before (it has the
 * marker) is replaced, so a second demo does not add a second run to what the suggested query
 * counts; any other non-empty folder, or one holding the working directory, is refused.
 */
export function prepareDemoFolder(to: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) throw new EtlError('USAGE', `demo --to is a local folder, got ${to}.`);
  const abs = path.resolve(to);
  const fromCwd = path.relative(abs, process.cwd());
  if (abs === path.parse(abs).root || fromCwd === '' || !(fromCwd.startsWith('..') || path.isAbsolute(fromCwd))) {
    throw new EtlError('USAGE', `demo --to ${to}: the demo replaces its output folder on every run, so it cannot be the current folder or hold it. Pass a folder of its own, e.g. --to ./clerk-etl-demo.`);
  }
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new EtlError('USAGE', `demo --to ${to} is a file, not a folder. Pass another --to.`);
    const entries = readdirSync(abs);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
      throw new EtlError('USAGE', `demo --to ${to} is not empty and was not written by the demo (no ${DEMO_MARKER} in it); it is left alone. Pass another --to, or empty the folder.`);
    }
    rmSync(abs, { recursive: true, force: true });
  }
  mkdirSync(abs, { recursive: true });
  writeFileSync(path.join(abs, DEMO_MARKER), 'Written by `clerk-etl demo`: the next demo run with the same --to replaces this folder.\n');
}

/**
 * `clerk-etl demo`: the main job against the built-in emulator. Starts the emulator in-process on
 * a free loopback port with generated users, exports them in every format and prints the summary.
 */
export function demoCommand(setExit: (code: number) => void): Command {
  return new Command('demo')
    .description('Export 10,000 generated users from the built-in Clerk emulator in every format, and show the result.')
    .option('--users <n>', 'users the emulator generates', positiveInt('--users'), 10_000)
    .option('--seed <n>', 'generator seed', nonNegativeInt('--seed'), 1)
    .option('--to <dir>', `output folder; a folder the demo wrote before (it holds ${DEMO_MARKER}) is replaced, any other non-empty one refused`, './clerk-etl-demo')
    .action(async (flags: DemoFlags) => {
      prepareDemoFolder(flags.to);
      const log = loggerFromFlags({ logFormat: flags.logFormat ?? 'pretty', logLevel: flags.logLevel ?? 'warn' });
      const signals = abortOnSignals(log);
      process.stdout.write(`Starting the Clerk emulator with ${flags.users.toLocaleString('en-US')} generated users (seed ${flags.seed})…\n`);
      const emulator = await startEmulator({ users: flags.users, seed: flags.seed, rateLimit: 'off' });
      try {
        process.stdout.write(`Emulator listening on ${emulator.url}; exporting to ${flags.to} as parquet, csv, ndjson and raw…\n`);
        const outcome = await executeExport(
          {
            to: flags.to,
            formats: ['parquet', 'csv', 'ndjson', 'raw'],
            inputFormat: 'auto',
            apiUrl: emulator.url,
            secretKey: emulator.secretKey,
            concurrency: 4,
            rateLimit: { requests: 1_000_000, windowMs: 10_000 },
            progress: true,
          },
          log,
          signals.signal,
        );
        // The demo runs a full export: it publishes or throws.
        if (outcome.status !== 'published') throw new EtlError('INTERNAL', `the demo export ended as ${outcome.status}, not published`);
        const result = outcome.result;
        process.stdout.write(summaryText(result, flags.to) + '\n');
        process.stdout.write(
          `\nTry: duckdb -c "SELECT count(*) FROM '${flags.to}/users/*/*.parquet'"  ·  head ${flags.to}/csv/user_email_addresses/dt=*/*.csv\n`,
        );
        setExit(result.manifest.counts.rejected > 0 ? EXIT.REJECTED : EXIT.OK);
      } finally {
        signals.dispose();
        await emulator.close();
      }
    });
}
