import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EtlError } from '../errors.js';
import type { Logger } from '../log.js';
import { isPostgresUrl, PostgresMirror, type ApplyResult, type OnDelete, type RunToApply } from '../load/postgres-mirror.js';

export interface LoadSettings {
  from: string;
  to: string;
  onDelete?: OnDelete;
}

export interface LoadOutcome {
  applied: Array<{ run_id: string; result: ApplyResult }>;
  skipped: string[];
}

/**
 * `clerk-etl load`: the published runs of an export folder applied to a PostgreSQL mirror, one
 * transaction each, in run id (= time) order; runs the mirror already has are skipped. The files
 * stay the source of truth: a mirror can be dropped and rebuilt from them.
 */
export async function executeLoad(settings: LoadSettings, log: Logger, signal: AbortSignal): Promise<LoadOutcome> {
  if (!isPostgresUrl(settings.to)) throw new EtlError('USAGE', 'load --to takes a postgres://user@host:port/db?schema=… URL.');
  const dir = path.join(settings.from, '_manifests');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EtlError('USAGE', `load --from ${settings.from}: not an export folder (no _manifests/ in it).`);
  const mirror = new PostgresMirror(settings.to, log);
  const done = new Set(await mirror.appliedRuns());
  const outcome: LoadOutcome = { applied: [], skipped: [] };
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    signal.throwIfAborted();
    const manifest = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as RunToApply['manifest'];
    if (done.has(manifest.run_id)) {
      outcome.skipped.push(manifest.run_id);
      continue;
    }
    if (!manifest.files.some((f) => f.format === 'csv')) {
      throw new EtlError('INPUT_INVALID', `Run ${manifest.run_id} (${path.join(dir, name)}) has no CSV files: load reads an export's CSV tables. Export with --format csv (next to any other format); runs before it were applied.`);
    }
    const result = await mirror.apply({ manifest, pathOf: (p) => path.join(settings.from, p) }, settings.onDelete ?? 'mark', signal);
    log.info('run applied', { run_id: manifest.run_id, status: result.status });
    if (result.status === 'skipped') outcome.skipped.push(manifest.run_id);
    else outcome.applied.push({ run_id: manifest.run_id, result });
  }
  return outcome;
}
