// Import at Clerk's rate limit: creates/s against the ceiling, 429s received, users created exactly once.
// Usage: node bench/import-rate-limit.mjs [dev|prod] [users] [runs]   (run `npm run build` first)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../dist/emulator/server.js';
import { generateUsers } from '../dist/emulator/generate.js';
import { executeImport } from '../dist/pipeline/import.js';
import { silentLogger } from '../dist/log.js';

const mode = process.argv[2] ?? 'dev';
const n = Number(process.argv[3] ?? (mode === 'dev' ? 1000 : 2000));
const runs = Number(process.argv[4] ?? 1);
const limit = mode === 'dev' ? { requests: 100, windowMs: 10_000 } : { requests: 1000, windowMs: 10_000 };
const ceiling = limit.requests / (limit.windowMs / 1000);
const key = mode === 'dev' ? 'sk_test_bench' : 'sk_live_bench';

const users = generateUsers(n * 2, { seed: 5 })
  .filter((u) => [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => a.length > 0) || typeof u.username === 'string')
  .slice(0, n);
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-bench-import-'));
const file = path.join(dir, 'users.ndjson');
writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
const results = [];
for (let r = 0; r < runs; r++) {
  const em = await startEmulator({ users: 0, rateLimit: mode, secretKey: key, latencyMs: 20 });
  const report = path.join(dir, `report-${r}`);
  const settings = { from: file, inputFormat: 'auto', reportDir: report, onConflict: 'skip', dryRun: false, apiUrl: em.url, secretKey: key, concurrency: 8, externalId: 'source', progress: false };
  const t0 = performance.now();
  const s = await executeImport(settings, silentLogger, new AbortController().signal);
  const secs = (performance.now() - t0) / 1000;
  const again = await executeImport(settings, silentLogger, new AbortController().signal);
  results.push({ secs, perSec: s.counts.created / secs, created: s.counts.created, failed: s.counts.failed, rateLimited: s.clerk.rate_limited_429, requests: s.clerk.requests, stored: em.store.size, secondRunCreated: again.counts.created, secondRunDone: again.counts.already_done });
  await em.close();
}
rmSync(dir, { recursive: true, force: true });
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const r of results) console.log(JSON.stringify(r));
const m = med(results.map((r) => r.perSec));
console.log(`import ${mode} (${limit.requests}/${limit.windowMs / 1000}s, ceiling ${ceiling} creates/s), ${n} users, 20 ms latency, ${runs} run(s): median ${m.toFixed(2)} creates/s = ${((m / ceiling) * 100).toFixed(1)}% of the ceiling; 429s ${results.map((r) => r.rateLimited).join(',')}; failed ${results.map((r) => r.failed).join(',')}; second run created ${results.map((r) => r.secondRunCreated).join(',')}`);
