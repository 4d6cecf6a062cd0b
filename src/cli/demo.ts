import { Command } from 'commander';
import { startEmulator } from '../emulator/server.js';
import { abortOnSignals, loggerFromFlags, nonNegativeInt, positiveInt, type LogFlags } from './common.js';
import { EXIT } from './exit-codes.js';
import { executeExport, summaryText } from './export.js';

interface DemoFlags extends LogFlags {
  users: number;
  to: string;
  seed: number;
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
    .option('--to <dir>', 'output folder', './clerk-etl-demo')
    .action(async (flags: DemoFlags) => {
      const log = loggerFromFlags({ logFormat: flags.logFormat ?? 'pretty', logLevel: flags.logLevel ?? 'warn' });
      const signals = abortOnSignals(log);
      process.stdout.write(`Starting the Clerk emulator with ${flags.users.toLocaleString('en-US')} generated users (seed ${flags.seed})…\n`);
      const emulator = await startEmulator({ users: flags.users, seed: flags.seed, rateLimit: 'off' });
      try {
        process.stdout.write(`Emulator listening on ${emulator.url}; exporting to ${flags.to} as parquet, csv, ndjson and raw…\n`);
        const { result: r } = await executeExport(
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
        const result = r!;
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
