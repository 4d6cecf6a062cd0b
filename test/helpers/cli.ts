import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (bin/clerk-etl.js loads dist/: `npm test` builds first). */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/clerk-etl.js');

export interface CliOptions {
  /** Added to a bare environment holding only PATH (no key or AWS variable leaks in from the test's). */
  env?: Record<string, string>;
  cwd?: string;
}

export interface CliChild {
  /** The exit code; null when a signal ended the process. */
  code: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  /** The process id. */
  pid: number | undefined;
}

/** Start `clerk-etl <args>` as a user would, collecting what it prints. */
export function startCli(args: string[], options: CliOptions = {}): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { code: new Promise((r) => child.on('close', (c) => r(c))), stdout: () => stdout, stderr: () => stderr, kill: (s) => child.kill(s), pid: child.pid };
}

/** Run `clerk-etl <args>` to the end, but never longer than `limitMs`: a hang is killed and shows as code null. */
export async function runCli(args: string[], options: CliOptions & { limitMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const c = startCli(args, options);
  const guard = setTimeout(() => c.kill('SIGKILL'), options.limitMs ?? 60_000);
  const code = await c.code;
  clearTimeout(guard);
  return { code, stdout: c.stdout(), stderr: c.stderr(), ms: Date.now() - t0 };
}
