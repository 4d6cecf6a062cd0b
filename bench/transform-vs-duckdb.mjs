// Transform and write raw users, clerk-etl vs DuckDB, side by side on one file.
// Usage: node bench/transform-vs-duckdb.mjs [users=1000000] [runs=3] [--single]     (npm run build first)
// Prints users/s for clerk-etl (Parquet, CSV: all nine tables; default --workers auto, which uses
// every core for files of 32 MiB+) and DuckDB (read_json → UNNEST → COPY … parquet), the ratio,
// and the tool's peak RSS (from /usr/bin/time -v when present). --single also times Parquet with
// --workers 0 (everything in the main thread).
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateUserStream } from '../dist/emulator/generate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const single = process.argv.includes('--single');
const dataDir = path.join(here, 'data');
mkdirSync(dataDir, { recursive: true });
const file = path.join(dataDir, `users-${n}.ndjson`);

async function generate() {
  if (existsSync(file)) return;
  const ws = createWriteStream(file + '.tmp');
  let buf = '';
  for (const u of generateUserStream(n, { seed: 1 })) {
    buf += JSON.stringify(u) + '\n';
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await new Promise((r) => ws.once('drain', r));
      buf = '';
    }
  }
  await new Promise((r) => ws.end(buf, r));
  execFileSync('mv', [file + '.tmp', file]);
}

const hasTime = existsSync('/usr/bin/time');
function runTool(format, extra = []) {
  const out = path.join(os.tmpdir(), `clerk-etl-bench-${format}`);
  rmSync(out, { recursive: true, force: true });
  const args = [path.join(here, '..', 'bin', 'clerk-etl.js'), 'export', '--from', file, '--to', out, '--format', format, '--no-progress', '--log-level', 'warn', ...extra];
  const t0 = performance.now();
  const r = hasTime ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`clerk-etl failed: ${r.stderr}`);
  const rss = hasTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024 : NaN;
  rmSync(out, { recursive: true, force: true });
  return { secs, rssMb: rss };
}

// One COPY per table; arrays UNNESTed into child tables. DuckDB gets both cores (its default).
const CHILD = ['email_addresses', 'phone_numbers', 'web3_wallets', 'passkeys', 'external_accounts', 'saml_accounts', 'enterprise_accounts', 'organization_memberships'];
function runDuckdb() {
  const out = path.join(os.tmpdir(), 'clerk-etl-bench-duckdb');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const sql = [
    `CREATE TEMP TABLE raw AS SELECT * FROM read_json('${file}', format = 'newline_delimited', maximum_object_size = 67108864, sample_size = 20000, union_by_name = true);`,
    `COPY (SELECT * EXCLUDE (${CHILD.join(', ')}) FROM raw) TO '${out}/users.parquet' (FORMAT parquet);`,
    ...CHILD.map((c) => `COPY (SELECT id AS user_id, unnest(${c}, recursive := true) FROM raw WHERE len(${c}) > 0) TO '${out}/user_${c}.parquet' (FORMAT parquet);`),
  ].join('\n');
  const script = `import('@duckdb/node-api').then(async (m) => { const c = await (await m.DuckDBInstance.create(':memory:')).connect(); await c.run(process.argv[1]); c.closeSync(); })`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', script, sql], { encoding: 'utf8', cwd: path.join(here, '..') });
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`duckdb failed: ${r.stderr}`);
  rmSync(out, { recursive: true, force: true });
  return { secs };
}

await generate();
console.log(`input: ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB, ${n.toLocaleString('en-US')} users)`);
const res = { parquet: [], csv: [], duckdb: [], single: [] };
const fmtRun = (r) => `${r.secs.toFixed(1)} s (${r.rssMb.toFixed(0)} MB)`;
for (let i = 0; i < runs; i++) {
  res.parquet.push(runTool('parquet'));
  res.csv.push(runTool('csv'));
  if (single) res.single.push(runTool('parquet', ['--workers', '0']));
  res.duckdb.push(runDuckdb());
  console.log(`run ${i + 1}: parquet ${fmtRun(res.parquet[i])}, csv ${fmtRun(res.csv[i])}${single ? `, parquet --workers 0 ${fmtRun(res.single[i])}` : ''}, duckdb ${res.duckdb[i].secs.toFixed(1)} s`);
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p = med(res.parquet.map((r) => r.secs));
const c = med(res.csv.map((r) => r.secs));
const d = med(res.duckdb.map((r) => r.secs));
const s1 = single ? med(res.single.map((r) => r.secs)) : NaN;
console.log(
  `median of ${runs}: clerk-etl parquet ${p.toFixed(1)} s = ${Math.round(n / p)} users/s (peak RSS ${med(res.parquet.map((r) => r.rssMb)).toFixed(0)} MB); ` +
    `csv ${c.toFixed(1)} s = ${Math.round(n / c)} users/s (peak RSS ${med(res.csv.map((r) => r.rssMb)).toFixed(0)} MB); ` +
    (single ? `parquet --workers 0 ${s1.toFixed(1)} s = ${Math.round(n / s1)} users/s (peak RSS ${med(res.single.map((r) => r.rssMb)).toFixed(0)} MB); ` : '') +
    `duckdb ${d.toFixed(1)} s = ${Math.round(n / d)} users/s; parquet/duckdb wall-time ratio ${(p / d).toFixed(2)}, csv/parquet ${(c / p).toFixed(2)}`,
);
