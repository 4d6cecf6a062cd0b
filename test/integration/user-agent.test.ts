import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';

// `--user-agent` (config `clerk.user_agent`): the User-Agent header of every Clerk API request, export and import.
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-ua-'));
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
let emulator: RunningEmulator;
let agents: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ users: 20, seed: 3, onRequest: ({ headers }) => void agents.push(String(headers['user-agent'])) });
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ CLERK_SECRET_KEY: emulator.secretKey, CLERK_API_URL: emulator.url });

async function agentsOf(args: string[]): Promise<string[]> {
  agents = [];
  const r = await runCli(args, { env: env() });
  expect(r.code, r.stderr).toBe(0);
  expect(agents.length).toBeGreaterThan(0);
  return [...new Set(agents)];
}

describe('User-Agent of Clerk API requests', () => {
  it('export: clerk-etl/<package version> by default, the flag when given', async () => {
    expect(await agentsOf(['export', '--to', path.join(dir, 'a'), '--format', 'raw', '--log-format', 'json'])).toEqual([`clerk-etl/${version}`]);
    expect(await agentsOf(['export', '--to', path.join(dir, 'b'), '--format', 'raw', '--log-format', 'json', '--user-agent', 'acme-sync/2.1 (ops@example.com)'])).toEqual(['acme-sync/2.1 (ops@example.com)']);
  });

  it('import: from the config file, and the flag beats the file', async () => {
    const users = path.join(dir, 'users.ndjson');
    writeFileSync(users, ['{"id":"user_ua1","email_addresses":[{"id":"idn_1","email_address":"ua1@example.com","verification":{"status":"verified","strategy":"admin"}}],"primary_email_address_id":"idn_1","created_at":1700000000000,"updated_at":1700000000000}'].join('\n') + '\n');
    const config = path.join(dir, 'ua.yaml');
    writeFileSync(config, 'clerk:\n  user_agent: from-config/1\n');
    expect(await agentsOf(['import', '--from', users, '--report', path.join(dir, 'r1'), '--config', config, '--log-format', 'json'])).toEqual(['from-config/1']);
    expect(await agentsOf(['import', '--from', users, '--report', path.join(dir, 'r2'), '--config', config, '--user-agent', 'from-flag/1', '--on-conflict', 'skip', '--log-format', 'json'])).toEqual(['from-flag/1']);
  });
});
