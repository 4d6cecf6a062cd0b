/**
 * Precedence of settings: **flags > config file > environment > defaults**.
 *
 * Each resolved value keeps its {@link Origin}, so a run summary can say where it came from
 * (`concurrency: 8 (config)`, `api_url: https://api.clerk.com (default)`).
 */

/**
 * Where a setting's value came from:
 * - `flag`: typed on the command line (commander's source `cli`, or `implied` by another flag);
 * - `config`: the `--config` file (after its `${ENV}` references were substituted);
 * - `env`: an environment variable the command reads directly (`CLERK_SECRET_KEY`, `CLERK_API_URL`);
 * - `default`: the command's built-in default (or no value at all, for settings without one).
 */
export type Origin = 'flag' | 'config' | 'env' | 'default';

/** A resolved setting and where it came from. */
export interface Picked<T> {
  value: T;
  origin: Origin;
}

/**
 * The first of `flag`, `fromConfig`, `fromEnv` that is not `undefined`, else `fallback`.
 * For a setting without a default, pass `undefined` as `fallback` (its origin is then `default`).
 */
export function pick<T>(flag: T | undefined, fromConfig: T | undefined, fromEnv: T | undefined, fallback: T): Picked<T> {
  if (flag !== undefined) return { value: flag, origin: 'flag' };
  if (fromConfig !== undefined) return { value: fromConfig, origin: 'config' };
  if (fromEnv !== undefined) return { value: fromEnv, origin: 'env' };
  return { value: fallback, origin: 'default' };
}

/** The part of a commander `Command` that tells a typed flag from a default (commander 14). */
export interface OptionSources {
  getOptionValue(key: string): unknown;
  getOptionValueSource(key: string): string | undefined;
}

/** Whether the user gave the option (by its camelCase key, `maxFileBytes`) on the command line. */
export function isExplicit(cmd: OptionSources, key: string): boolean {
  const source = cmd.getOptionValueSource(key);
  return source === 'cli' || source === 'implied';
}

/**
 * The option's value when the user gave it, else `undefined`: a commander default must not beat
 * the config file, so pass this, not `opts().key`, as `pick`'s `flag`. The type is the caller's
 * word for what the option's parser returns.
 */
export function flagValue<T>(cmd: OptionSources, key: string): T | undefined {
  return isExplicit(cmd, key) ? (cmd.getOptionValue(key) as T) : undefined;
}
