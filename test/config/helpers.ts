import { expect } from 'vitest';
import { EtlError } from '../../src/errors.js';
import { parseConfigText } from '../../src/config/load.js';

/** The problem lines of the CONFIG_INVALID error `text` raises (the header line dropped). */
export function problemsOf(text: string, env: Record<string, string | undefined> = {}, file = 'test.yaml'): string[] {
  try {
    parseConfigText(text, file, env);
  } catch (err) {
    expect(err).toBeInstanceOf(EtlError);
    expect((err as EtlError).code).toBe('CONFIG_INVALID');
    const lines = (err as EtlError).message.split('\n');
    if (lines.length > 1) expect(lines[0]).toBe(`Config file ${file} has ${lines.length - 1} problems:`);
    return lines.length > 1 ? lines.slice(1) : lines;
  }
  throw new Error('expected the config to be rejected');
}

/** The whole message of the CONFIG_INVALID error `text` raises. */
export function messageOf(text: string, env: Record<string, string | undefined> = {}, file = 'test.yaml'): string {
  return problemsOf(text, env, file).join('\n');
}
