import type { RunningEmulator } from '../../src/emulator/server.js';

/** One Backend API call to an emulator, as a client would make it; a non-2xx answer fails the test, naming it. */
export async function api(em: RunningEmulator, method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(em.url + p, { method, headers: { Authorization: `Bearer ${em.secretKey}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
