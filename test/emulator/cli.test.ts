import { describe, expect, it } from 'vitest';
import { emulatorCommand, type EmulatorCommandDeps } from '../../src/cli/emulator.js';
import { isEtlError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';

/** Run `clerk-etl emulator <args>` in-process; returns the printed line and a stop function. */
async function run(args: string[], deps: Partial<EmulatorCommandDeps> = {}): Promise<{ line: string; url: string; stop: () => Promise<void> }> {
  const lines: string[] = [];
  const controller = new AbortController();
  const cmd = emulatorCommand({ out: (l) => lines.push(l), stop: controller.signal, log: silentLogger, env: {}, ...deps }).exitOverride();
  const done = cmd.parseAsync(args, { from: 'user' });
  let failed: unknown;
  done.catch((e: unknown) => (failed = e));
  for (let i = 0; i < 200 && lines.length === 0 && failed === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  if (failed !== undefined) throw failed;
  expect(lines).toHaveLength(1);
  const url = /on (http:\/\/\S+) /.exec(lines[0]!)![1]!;
  return {
    line: lines[0]!,
    url,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

async function usageError(args: string[]): Promise<string> {
  const err = await emulatorCommand({ out: () => {}, log: silentLogger, env: {} })
    .exitOverride()
    .parseAsync(args, { from: 'user' })
    .then(() => null, (e: unknown) => e);
  expect(isEtlError(err, 'USAGE'), `${args.join(' ')} → ${String(err)}`).toBe(true);
  return (err as Error).message;
}

describe('clerk-etl emulator', () => {
  it('serves generated users, prints one line with the URL and the built-in key, and stops cleanly', async () => {
    const emu = await run(['--port', '0', '--users', '25', '--seed', '3']);
    expect(emu.line).toContain(`CLERK_API_URL=${emu.url} CLERK_SECRET_KEY=sk_test_emulator clerk-etl export`);
    expect(emu.line).toContain('25 users');
    const res = await fetch(`${emu.url}/v1/users/count`, { headers: { Authorization: 'Bearer sk_test_emulator' } });
    expect(await res.json()).toEqual({ object: 'total_count', total_count: 25 });
    await emu.stop();
    await expect(fetch(`${emu.url}/v1/users/count`)).rejects.toThrow();
  });

  it('a custom key (flag or CLERK_SECRET_KEY) is required by the server but never printed', async () => {
    const flag = await run(['--port', '0', '--users', '1', '--secret-key', 'sk_test_mineAbc']);
    try {
      expect(flag.line).toContain('CLERK_SECRET_KEY=<your key>');
      expect(flag.line).not.toContain('mineAbc');
      expect((await fetch(`${flag.url}/v1/users`, { headers: { Authorization: 'Bearer sk_test_emulator' } })).status).toBe(401);
      expect((await fetch(`${flag.url}/v1/users`, { headers: { Authorization: 'Bearer sk_test_mineAbc' } })).status).toBe(200);
    } finally {
      await flag.stop();
    }
    const env = await run(['--port', '0', '--users', '1'], { env: { CLERK_SECRET_KEY: 'sk_test_fromEnv1' } });
    try {
      expect(env.line).not.toContain('fromEnv1');
      expect((await fetch(`${env.url}/v1/users`, { headers: { Authorization: 'Bearer sk_test_fromEnv1' } })).status).toBe(200);
    } finally {
      await env.stop();
    }
  });

  it('passes rate limit, faults, latency and bounds through', async () => {
    const emu = await run(['--port', '0', '--users', '3', '--rate-limit', 'dev', '--fault-rate-5xx', '1', '--latency-ms', '20', '--inclusive-bounds']);
    try {
      const res = await fetch(`${emu.url}/v1/users`, { headers: { Authorization: 'Bearer sk_test_emulator' } });
      expect([500, 502, 503]).toContain(res.status);
      expect(emu.line).toContain('rate limit dev');
    } finally {
      await emu.stop();
    }
  });

  it('bad flags are USAGE errors that name the flag', async () => {
    expect(await usageError(['--port', 'abc'])).toMatch(/--port must be a whole number from 0 to 65,535, got "abc"/);
    expect(await usageError(['--port', '70000'])).toMatch(/--port/);
    expect(await usageError(['--users', '-1'])).toMatch(/--users/);
    expect(await usageError(['--users', '1.5'])).toMatch(/--users/);
    expect(await usageError(['--seed', 'x'])).toMatch(/--seed/);
    expect(await usageError(['--latency-ms', '-5'])).toMatch(/--latency-ms/);
    expect(await usageError(['--rate-limit', 'fast'])).toMatch(/--rate-limit must be prod .* dev .* or off, got "fast"/);
    expect(await usageError(['--fault-rate-5xx', '2'])).toMatch(/--fault-rate-5xx must be a probability between 0 and 1/);
    expect(await usageError(['--fault-rate-reset', 'often'])).toMatch(/--fault-rate-reset/);
    expect(await usageError(['--fault-rate-429', '0.6', '--fault-rate-5xx', '0.6'])).toMatch(/add up to 1.2/);
    expect(await usageError(['--secret-key', 'has space'])).toMatch(/--secret-key/);
  });
});
