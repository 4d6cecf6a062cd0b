import { Command, Option } from 'commander';
import { EtlError } from '../errors.js';
import type { Logger, LogLevel } from '../log.js';
import { startEmulator, type EmulatorOptions } from '../emulator/server.js';
import { loggerFromFlags } from './common.js';

/** The key the emulator accepts when neither --secret-key nor CLERK_SECRET_KEY is given. */
const BUILTIN_KEY = 'sk_test_emulator';
const MAX_USERS = 10_000_000;

interface RawFlags {
  port: string;
  host: string;
  users: string;
  organizations: string;
  seed: string;
  rateLimit: string;
  latencyMs: string;
  faultRate5xx?: string;
  faultRateReset?: string;
  faultRate429?: string;
  faultRateTruncate?: string;
  faultRateAfterCreate?: string;
  userQuota?: string;
  faultSeed?: string;
  inclusiveBounds?: boolean;
  secretKey?: string;
  logFormat?: 'json' | 'pretty';
  logLevel?: LogLevel;
}

/** Test seams; the CLI uses the defaults. */
export interface EmulatorCommandDeps {
  /** Where the "listening" line goes. Default: stdout. */
  out?: (line: string) => void;
  /** Stops the emulator when aborted. Default: SIGINT / SIGTERM. */
  stop?: AbortSignal;
  /** Default: from --log-format / --log-level. */
  log?: Logger;
  /** Environment to read CLERK_SECRET_KEY from. Default: process.env. */
  env?: Record<string, string | undefined>;
}

function usage(message: string): EtlError {
  return new EtlError('USAGE', message);
}

function int(flag: string, value: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(`${flag} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got "${value}".`);
  }
  return n;
}

function probability(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!(n >= 0 && n <= 1)) throw usage(`${flag} must be a probability between 0 and 1 (e.g. 0.05), got "${value}".`);
  return n;
}

/** Validate the flags once, into emulator options. Throws EtlError USAGE with a message naming the flag. */
export function emulatorOptionsFromFlags(flags: RawFlags, env: Record<string, string | undefined>): EmulatorOptions & { port: number; users: number; seed: number; secretKey: string } {
  const rateLimit = flags.rateLimit;
  if (rateLimit !== 'prod' && rateLimit !== 'dev' && rateLimit !== 'off') {
    throw usage(`--rate-limit must be prod (1000 requests / 10 s), dev (100 / 10 s) or off, got "${rateLimit}".`);
  }
  const faults = {
    rate5xx: probability('--fault-rate-5xx', flags.faultRate5xx),
    rateReset: probability('--fault-rate-reset', flags.faultRateReset),
    rate429: probability('--fault-rate-429', flags.faultRate429),
    rateTruncate: probability('--fault-rate-truncate', flags.faultRateTruncate),
    rateAfterCreate: probability('--fault-rate-after-create', flags.faultRateAfterCreate),
    seed: flags.faultSeed === undefined ? undefined : int('--fault-seed', flags.faultSeed, -(2 ** 31), 2 ** 32 - 1),
  };
  const sum = (faults.rate5xx ?? 0) + (faults.rateReset ?? 0) + (faults.rate429 ?? 0) + (faults.rateTruncate ?? 0);
  if (sum > 1) throw usage(`the --fault-rate-* probabilities add up to ${sum}; they must add up to at most 1.`);
  const secretKey = flags.secretKey ?? (env.CLERK_SECRET_KEY || BUILTIN_KEY);
  if (secretKey.trim() === '' || /\s/.test(secretKey)) throw usage('--secret-key must be a non-empty key without spaces.');
  if (flags.host.trim() === '') throw usage('--host must not be empty.');
  return {
    port: int('--port', flags.port, 0, 65535),
    host: flags.host,
    users: int('--users', flags.users, 0, MAX_USERS),
    organizations: int('--organizations', flags.organizations, 0, MAX_USERS),
    seed: int('--seed', flags.seed, -(2 ** 31), 2 ** 32 - 1),
    rateLimit,
    latencyMs: int('--latency-ms', flags.latencyMs, 0, 600_000),
    inclusiveBounds: flags.inclusiveBounds === true,
    userQuota: flags.userQuota === undefined ? undefined : int('--user-quota', flags.userQuota, 0, MAX_USERS * 10),
    secretKey,
    faults,
  };
}

/**
 * `clerk-etl emulator`: run the local Clerk Backend API until SIGINT/SIGTERM.
 * Prints one line on stdout with the URL and how to point clerk-etl at it; the key itself is
 * printed only when it is the built-in `sk_test_emulator`.
 */
export function emulatorCommand(deps: EmulatorCommandDeps = {}): Command {
  return new Command('emulator')
    .description('Run a local Clerk Backend API (users endpoints) with generated users, for trying and testing clerk-etl.')
    .option('--port <n>', 'TCP port (0 = any free port)', '8787')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--users <n>', 'users to generate (1,000,000 take about 30 s and 3.5 GB)', '1000')
    .option('--organizations <n>', 'organizations to generate over the users, with memberships, invitations, domains, instance invitations and waitlist entries', '0')
    .option('--seed <n>', 'generator seed: the same seed gives the same users', '1')
    .option('--rate-limit <mode>', "Clerk's limit per key: prod (1000 requests / 10 s), dev (100 / 10 s) or off", 'off')
    .option('--latency-ms <n>', 'delay added to every response', '0')
    .option('--fault-rate-5xx <p>', 'probability of a 500/502/503 per /v1/users request')
    .option('--fault-rate-reset <p>', 'probability of a connection closed mid-body')
    .option('--fault-rate-429 <p>', 'probability of an injected 429 with Retry-After: 1')
    .option('--fault-rate-truncate <p>', 'probability of a 200 whose JSON body is cut off')
    .option('--fault-rate-after-create <p>', 'probability that a create (POST /v1/users, /v1/organizations, …/memberships) happens, then answers 500 or drops the connection')
    .option('--user-quota <n>', "most users the instance holds (Clerk's development instances: 500); more creates get 403 user_quota_exceeded")
    .option('--fault-seed <n>', 'seed of the random faults (default: --seed)')
    .option('--inclusive-bounds', 'make created_at_after/_before (and the other _after/_before filters) include the bound; Clerk\'s behaviour is undocumented, default exclusive')
    .option('--secret-key <key>', `the bearer key to accept (default: CLERK_SECRET_KEY, else ${BUILTIN_KEY})`)
    .addOption(new Option('--log-format <format>', 'json lines (default when stderr is not a TTY) or pretty').choices(['json', 'pretty']))
    .addOption(new Option('--log-level <level>', 'debug logs every request').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(async (flags: RawFlags) => {
      const env = deps.env ?? process.env;
      const options = emulatorOptionsFromFlags(flags, env);
      const log = deps.log ?? loggerFromFlags(flags);
      const out = deps.out ?? ((line: string) => process.stdout.write(line + '\n'));
      if (options.users >= 100_000) log.info(`generating ${options.users.toLocaleString('en-US')} users (about ${Math.ceil(options.users / 35_000)} s)…`);

      const emulator = await startEmulator({ ...options, log });
      const key = options.secretKey === BUILTIN_KEY ? BUILTIN_KEY : '<your key>';
      out(
        `Clerk emulator on ${emulator.url} with ${emulator.store.size.toLocaleString('en-US')} users (seed ${options.seed}, rate limit ${options.rateLimit}). ` +
          `Point clerk-etl at it: CLERK_API_URL=${emulator.url} CLERK_SECRET_KEY=${key} clerk-etl export --to ./out   (Ctrl+C to stop)`,
      );

      await new Promise<void>((resolve) => {
        if (deps.stop) {
          if (deps.stop.aborted) return resolve();
          deps.stop.addEventListener('abort', () => resolve(), { once: true });
          return;
        }
        const onSignal = (sig: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          log.info(`received ${sig}: stopping the emulator`);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      await emulator.close();
      log.info('emulator stopped', { requests: emulator.stats.requests });
    });
}
