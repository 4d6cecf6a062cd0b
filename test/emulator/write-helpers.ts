import { afterEach } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';

/** Helpers shared by the write tests. */

const running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

/** Start an emulator that is closed after the test. */
export async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emu = await startEmulator(options);
  running.push(emu);
  return emu;
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** One authenticated request with a JSON body (or `raw` text); the JSON answer parsed. */
export async function call(emu: RunningEmulator, method: string, path: string, body?: unknown, init: { headers?: Record<string, string>; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${emu.secretKey}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  Object.assign(headers, init.headers);
  const res = await fetch(new URL(path, emu.url), { method, headers, body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

export const create = (emu: RunningEmulator, body: unknown): Promise<Answer> => call(emu, 'POST', '/v1/users', body);

/** Create and expect a 200; returns the user. */
export async function created(emu: RunningEmulator, body: unknown): Promise<any> {
  const r = await create(emu, body);
  if (r.status !== 200) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The first error of a Clerk error body: [status, code, meta.param_name]. */
export function err(r: Answer): [number, string, unknown] {
  return [r.status, r.body?.errors?.[0]?.code, r.body?.errors?.[0]?.meta?.param_name];
}

export const BCRYPT = '$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2';
export const MD5 = '5f4dcc3b5aa765d61d8327deb882cf99';
export const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
