// A full export of the same users to PostgreSQL and to Parquet, side by side, run by run.
// Usage: node bench/postgres-vs-parquet.mjs [users=100000] [runs=3]     (npm run build first)
// Reads bench/data/users-<n>.ndjson (made by transform-vs-duckdb.mjs), starts a PostgreSQL of its own
// from Debian's package in a temporary folder (as the postgres user when root, as the tests do in
// test/helpers/postgres.ts: that helper is TypeScript, this script plain Node, hence the few lines
// again), and prints wall time and the tool's peak RSS (/usr/bin/time -v) of `export --format parquet`
// and `export --to postgres://…` (a fresh schema per run), and their ratio.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const file = path.join(here, 'data', `users-${n}.ndjson`);
if (!existsSync(file)) throw new Error(`${file} is missing: run node bench/transform-vs-duckdb.mjs ${n} 1 first (it generates it).`);

const root = '/usr/lib/postgresql';
const bin = path.join(root, readdirSync(root).sort((a, b) => Number(b) - Number(a))[0], 'bin');
const asPg = (cmd, args) => (process.getuid() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-bench-pg-'));
if (process.getuid() === 0) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout));
const [ic, ia] = asPg(path.join(bin, 'initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']);
if (spawnSync(ic, ia).status !== 0) throw new Error('initdb failed');
const port = 20000 + Math.floor(Math.random() * 20000);
const [pc, pa] = asPg(path.join(bin, 'postgres'), ['-D', path.join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']);
const server = spawn(pc, pa, { stdio: 'ignore' });
const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
for (let i = 0; ; i++) {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    await c.end();
    break;
  } catch {
    if (i > 100) throw new Error('PostgreSQL did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function run(to, extra) {
  const args = [path.join(here, '..', 'bin', 'clerk-etl.js'), 'export', '--from', file, '--to', to, '--no-progress', '--log-level', 'warn', ...extra];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8' });
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`clerk-etl failed: ${r.stderr}`);
  return { secs, rssMb: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = { parquet: [], postgres: [], again: [] };
try {
  for (let i = 0; i < runs; i++) {
    const out = path.join(os.tmpdir(), 'clerk-etl-bench-parquet');
    rmSync(out, { recursive: true, force: true });
    res.parquet.push(run(out, ['--format', 'parquet']));
    rmSync(out, { recursive: true, force: true });
    res.postgres.push(run(`${url}?schema=bench_${i}`, []));
    // The same users again into the now full mirror: the upsert path (stage, compare, replace children).
    res.again.push(run(`${url}?schema=bench_${i}`, []));
    console.log(`run ${i + 1}: parquet ${res.parquet[i].secs.toFixed(1)} s (${res.parquet[i].rssMb.toFixed(0)} MB), postgres first load ${res.postgres[i].secs.toFixed(1)} s (${res.postgres[i].rssMb.toFixed(0)} MB), full run into the loaded mirror ${res.again[i].secs.toFixed(1)} s (${res.again[i].rssMb.toFixed(0)} MB)`);
  }
  const p = median(res.parquet.map((r) => r.secs));
  const g = median(res.postgres.map((r) => r.secs));
  const a = median(res.again.map((r) => r.secs));
  console.log(
    `median of ${runs}: parquet ${p.toFixed(1)} s = ${Math.round(n / p)} users/s (peak RSS ${median(res.parquet.map((r) => r.rssMb)).toFixed(0)} MB); ` +
      `postgres first load ${g.toFixed(1)} s = ${Math.round(n / g)} users/s (peak RSS ${median(res.postgres.map((r) => r.rssMb)).toFixed(0)} MB), ratio ${(g / p).toFixed(2)}; ` +
      `full run into the loaded mirror ${a.toFixed(1)} s (peak RSS ${median(res.again.map((r) => r.rssMb)).toFixed(0)} MB), ratio ${(a / p).toFixed(2)}`,
  );
} finally {
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
