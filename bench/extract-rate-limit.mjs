// Extraction at Clerk's rate limit: users/s against the ceiling (requests/s × 500), 429s, and how
// much of the limiter's allowance went unused. The emulator runs in its own process (as Clerk would).
// Usage: node bench/extract-rate-limit.mjs [dev|prod] [users] [latencyMs] [runs]   (npm run build first)
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { executeExport } from '../dist/pipeline/export.js';
import { silentLogger } from '../dist/log.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const mode = process.argv[2] ?? 'dev';
const users = Number(process.argv[3] ?? (mode === 'dev' ? 100_000 : 200_000));
const latency = Number(process.argv[4] ?? 150);
const runs = Number(process.argv[5] ?? 3);
const key = mode === 'dev' ? 'sk_test_bench' : 'sk_live_bench';
const limit = mode === 'dev' ? 100 : 1000;
const rps = limit / 10;
const ceiling = rps * 500;

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const emu = spawn(process.execPath, [path.join(here, '..', 'bin', 'clerk-etl.js'), 'emulator', '--port', String(port), '--users', String(users), '--rate-limit', mode, '--latency-ms', String(latency), '--secret-key', key, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => emu.stdout.on('data', (d) => String(d).includes('emulator on') && resolve()));
const results = [];
try {
  for (let r = 0; r < runs; r++) {
    const to = path.join(os.tmpdir(), 'clerk-etl-bench-extract');
    rmSync(to, { recursive: true, force: true });
    const t0 = performance.now();
    const out = await executeExport(
      { to, formats: ['parquet'], inputFormat: 'auto', apiUrl: `http://127.0.0.1:${port}`, secretKey: key, concurrency: mode === 'dev' ? 4 : 24, progress: false },
      silentLogger,
      new AbortController().signal,
    );
    const secs = (performance.now() - t0) / 1000;
    const stats = out.client.stats;
    const limiter = out.client.limiter;
    // Tokens the limiter could have handed out over the run (burst + refill) that no request took.
    const allowance = limiter.capacity + limiter.ratePerMs * secs * 1000;
    results.push({ secs, usersPerSec: out.result.manifest.counts.read / secs, read: out.result.manifest.counts.read, requests: stats.requests, rateLimited: stats.rateLimited, unusedAllowance: 1 - limiter.acquired / allowance });
    rmSync(to, { recursive: true, force: true });
  }
} finally {
  emu.kill('SIGTERM');
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const r of results) console.log(JSON.stringify(r));
const u = med(results.map((r) => r.usersPerSec));
console.log(
  `extract ${mode} (${limit}/10s, ceiling ${ceiling} users/s), ${users} users, ${latency} ms latency, ${runs} run(s): median ${Math.round(u)} users/s = ${((u / ceiling) * 100).toFixed(1)}% of the ceiling; ` +
    `429s ${results.map((r) => `${r.rateLimited}/${r.requests}`).join(', ')}; unused limiter allowance ${results.map((r) => (r.unusedAllowance * 100).toFixed(1) + '%').join(', ')}`,
);
