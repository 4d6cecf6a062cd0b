import { Command, CommanderError } from 'commander';
import { EtlError, redactSecrets, registerSecret } from '../errors.js';
import { demoCommand } from './demo.js';
import { emulatorCommand } from './emulator.js';
import { exitCodeFor, EXIT } from './exit-codes.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { schemaCommand } from './schema.js';
import { loadCommand } from './load.js';
import { PACKAGE_VERSION } from '../model/defaults.js';

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // The AWS SDK is pinned to a release that supports Node 20 (README): its notice about later releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Credentials the AWS SDK reads from the environment: never to be printed, whatever fails.
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'CLERK_SECRET_KEY']) registerSecret(process.env[name]);
  let exitCode: number = EXIT.OK;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('clerk-etl')
    .description('Move Clerk users in bulk: export to Parquet / CSV / NDJSON, import from files.')
    .version(PACKAGE_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [exportCommand(setExit), importCommand(setExit), loadCommand(), schemaCommand(), demoCommand(setExit), emulatorCommand()]) {
    program.addCommand(cmd.exitOverride());
  }
  program.addHelpText(
    'after',
    `
Environment: CLERK_SECRET_KEY (required for the API), CLERK_API_URL (default https://api.clerk.com).
Exit codes: 0 ok, 1 failed, 2 usage, 3 finished with rejected records, 4 nothing to do (incremental),
            5 another run holds the lock, 6 finished with warnings (schema drift, freeze),
            7 published, but the summary file could not be written,
            75 temporary failure (retry later), 77 Clerk rejected the key, 130 interrupted.`,
  );
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
      // `clerk-etl` without a command prints the help to stderr as an error (exitCode 1): a usage
      // error, so a script that forgot its command fails; `clerk-etl help` asks for it (exitCode 0).
      if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return EXIT.USAGE;
    }
    if (err instanceof EtlError) {
      process.stderr.write(`clerk-etl: ${err.message}\n`);
    } else {
      process.stderr.write(`clerk-etl: unexpected error: ${redactSecrets(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    }
    return exitCodeFor(err);
  }
}
