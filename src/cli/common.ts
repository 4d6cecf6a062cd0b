import { Help, InvalidArgumentError, Option } from 'commander';
import { EtlError } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../log.js';

/** Commander argument parser for a positive integer. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}".`);
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}".`);
    return n;
  };
}

/** Defaults shown in help for options whose default is resolved later (config file, environment, a lower layer). */
const documentedDefaults = new WeakMap<Option, string>();

/** Show `default: <text>` in help without giving commander a value (it would beat the config file). */
export function documentDefault<T extends Option>(option: T, text: string): T {
  documentedDefaults.set(option, text);
  return option;
}

/**
 * Help that shows every option's default the same way: commander's own value (or its description),
 * else the text given with {@link documentDefault}.
 */
export const HELP_WITH_DEFAULTS: Partial<Help> = {
  optionDescription(option: Option): string {
    const extra: string[] = [];
    if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
    const documented = documentedDefaults.get(option);
    if (documented !== undefined) extra.push(`default: ${documented}`);
    else if (option.defaultValue !== undefined && !option.isBoolean() && !option.negate) extra.push(`default: ${option.defaultValueDescription ?? String(option.defaultValue)}`);
    return extra.length ? `${option.description} (${extra.join('; ')})` : option.description;
  },
};

export interface LogFlags {
  logFormat?: 'json' | 'pretty';
  logLevel?: LogLevel;
}

/** JSON lines when stderr is not a TTY (cron, CI), pretty lines on a terminal, unless told. */
export function loggerFromFlags(flags: LogFlags): Logger {
  const format = flags.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json');
  return createLogger({ format, level: flags.logLevel ?? 'info' });
}


/**
 * An AbortController that SIGINT/SIGTERM abort; a second signal exits at once. `wording` says what
 * the command does on the way out (default: an export's, which removes what it wrote).
 */
export function abortOnSignals(
  log: Logger,
  wording: { stopping: string; outcome: string } = { stopping: 'partial output is being removed', outcome: 'nothing was published' },
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count > 1) {
      process.stderr.write(`\nReceived ${sig} again: exiting now.\n`);
      process.exit(130);
    }
    log.warn(`received ${sig}: stopping; ${wording.stopping} (send it again to exit at once)`);
    controller.abort(new EtlError('ABORTED', `Interrupted by ${sig}; ${wording.outcome}.`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
