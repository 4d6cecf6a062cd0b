import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { flagValue, isExplicit, pick } from '../../src/config/merge.js';

describe('pick: flags > config file > environment > defaults', () => {
  it('takes the first level that has a value and says which', () => {
    expect(pick('flag', 'config', 'env', 'default')).toEqual({ value: 'flag', origin: 'flag' });
    expect(pick(undefined, 'config', 'env', 'default')).toEqual({ value: 'config', origin: 'config' });
    expect(pick(undefined, undefined, 'env', 'default')).toEqual({ value: 'env', origin: 'env' });
    expect(pick(undefined, undefined, undefined, 'default')).toEqual({ value: 'default', origin: 'default' });
  });

  it('counts 0, false and "" as given (only undefined falls through)', () => {
    expect(pick(0, 8, undefined, 4)).toEqual({ value: 0, origin: 'flag' });
    expect(pick(undefined, false, true, true)).toEqual({ value: false, origin: 'config' });
    expect(pick<string>(undefined, undefined, '', 'x')).toEqual({ value: '', origin: 'env' });
  });

  it('has no value for a setting without a default', () => {
    expect(pick<number | undefined>(undefined, undefined, undefined, undefined)).toEqual({ value: undefined, origin: 'default' });
  });
});

describe('flags given on the command line', () => {
  function parse(args: string[]): Command {
    const cmd = new Command('export')
      .exitOverride()
      .option('--to <dir>', 'output', './clerk-export')
      .option('--concurrency <n>', 'windows', (v) => Number(v), 4)
      .option('--dry-run', 'plan only')
      .option('--no-progress', 'quiet');
    return cmd.parse(args, { from: 'user' });
  }

  it('tells a typed flag from a commander default', () => {
    const cmd = parse(['--concurrency', '8', '--no-progress']);
    expect(isExplicit(cmd, 'concurrency')).toBe(true);
    expect(isExplicit(cmd, 'to')).toBe(false);
    expect(isExplicit(cmd, 'progress')).toBe(true);
    expect(isExplicit(cmd, 'dryRun')).toBe(false);
    expect(flagValue<number>(cmd, 'concurrency')).toBe(8);
    expect(flagValue<string>(cmd, 'to')).toBeUndefined();
    expect(flagValue<boolean>(cmd, 'progress')).toBe(false);
  });

  it('lets the config file beat a commander default but not a typed flag, and says where each value came from', () => {
    const config = { to: './from-config', concurrency: 2 };
    const cmd = parse(['--concurrency', '8']);
    expect(pick(flagValue<string>(cmd, 'to'), config.to, undefined, './clerk-export')).toEqual({ value: './from-config', origin: 'config' });
    expect(pick(flagValue<number>(cmd, 'concurrency'), config.concurrency, undefined, 4)).toEqual({ value: 8, origin: 'flag' });
    expect(pick(undefined, undefined, 'http://127.0.0.1:8787', 'https://api.clerk.com')).toEqual({ value: 'http://127.0.0.1:8787', origin: 'env' });
    expect(pick<number | undefined>(undefined, undefined, undefined, 25_000)).toEqual({ value: 25_000, origin: 'default' });
  });
});
