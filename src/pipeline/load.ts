import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { isS3Url, assertSupportedLocation } from '../location.js';
import { createS3Client, parseS3Url, s3Error, type S3Options } from '../state/s3-client.js';
import path from 'node:path';
import { EtlError } from '../errors.js';
import type { Logger } from '../log.js';
import { isPostgresUrl, PostgresMirror, type ApplyResult, type OnDelete, type RunToApply } from '../load/postgres-mirror.js';

export interface LoadSettings {
  from: string;
  to: string;
  onDelete?: OnDelete;
  /** `--from s3://…`: how to reach the store. */
  s3?: S3Options;
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
  assertSupportedLocation(settings.from, 'load --from');
  const runs = isS3Url(settings.from) ? s3Runs(settings.from, settings.s3 ?? {}) : localRuns(settings.from);
  const mirror = new PostgresMirror(settings.to, log);
  const done = new Set(await mirror.appliedRuns());
  const outcome: LoadOutcome = { applied: [], skipped: [] };
  for await (const run of runs.list()) {
    signal.throwIfAborted();
    if (done.has(run.runId)) {
      outcome.skipped.push(run.runId);
      continue;
    }
    const { manifest, where } = await run.manifest();
    if (!manifest.files.some((f) => f.format === 'csv')) {
      throw new EtlError('INPUT_INVALID', `Run ${manifest.run_id} (${where}) has no CSV files: load reads an export's CSV tables. Export with --format csv (next to any other format); runs before it were applied.`);
    }
    const files = await run.files(manifest, signal);
    try {
      const result = await mirror.apply({ manifest, pathOf: files.pathOf }, settings.onDelete ?? 'mark', signal);
      log.info('run applied', { run_id: manifest.run_id, status: result.status });
      if (result.status === 'skipped') outcome.skipped.push(manifest.run_id);
      else outcome.applied.push({ run_id: manifest.run_id, result });
    } finally {
      files.release();
    }
  }
  return outcome;
}

/** The published runs of an export, oldest first, and the way to their files. */
interface RunSource {
  list(): AsyncIterable<{ runId: string; manifest(): Promise<{ manifest: RunToApply['manifest']; where: string }>; files(m: RunToApply['manifest'], signal: AbortSignal): Promise<{ pathOf(rel: string): string; release(): void }> }>;
}

function localRuns(from: string): RunSource {
  const dir = path.join(from, '_manifests');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EtlError('USAGE', `load --from ${from}: not an export folder (no _manifests/ in it).`);
  return {
    async *list() {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
        const file = path.join(dir, name);
        yield {
          runId: name.replace(/\.json$/, ''),
          manifest: async () => ({ manifest: JSON.parse(readFileSync(file, 'utf8')) as RunToApply['manifest'], where: file }),
          files: async () => ({ pathOf: (p: string) => path.join(from, p), release: () => undefined }),
        };
      }
    },
  };
}

/**
 * An export on S3: its manifests listed under `<prefix>/_manifests/`; a run's CSV files are
 * downloaded to a private temporary folder, applied from there, and removed.
 */
function s3Runs(from: string, options: S3Options): RunSource {
  const { bucket, prefix } = parseS3Url(from);
  const client = createS3Client(options);
  const key = (rel: string): string => (prefix ? `${prefix}/${rel}` : rel);
  const read = async (k: string): Promise<string> => {
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
      return await r.Body!.transformToString('utf8');
    } catch (err) {
      throw s3Error('GET', bucket, k, err);
    }
  };
  return {
    async *list() {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key('_manifests/'), ContinuationToken: token })).catch((err: unknown) => {
          throw s3Error('LIST', bucket, key('_manifests/'), err);
        });
        for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) names.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      if (!names.length) throw new EtlError('USAGE', `load --from ${from}: no manifest under ${key('_manifests/')}: not an export, or nothing published yet.`);
      for (const k of names.sort()) {
        yield {
          runId: path.posix.basename(k, '.json'),
          manifest: async () => ({ manifest: JSON.parse(await read(k)) as RunToApply['manifest'], where: `s3://${bucket}/${k}` }),
          files: async (m: RunToApply['manifest'], signal: AbortSignal) => {
            const tmp = mkdtempSync(path.join(os.tmpdir(), `clerk-etl-load-${process.pid}-`));
            try {
              for (const f of m.files.filter((x) => x.format === 'csv')) {
                signal.throwIfAborted();
                const local = path.join(tmp, f.path);
                mkdirSync(path.dirname(local), { recursive: true });
                const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key(f.path) })).catch((err: unknown) => {
                  throw s3Error('GET', bucket, key(f.path), err);
                });
                await pipeline(r.Body as Readable, createWriteStream(local, { mode: 0o600 }));
              }
            } catch (err) {
              rmSync(tmp, { recursive: true, force: true });
              throw err;
            }
            return { pathOf: (p: string) => path.join(tmp, p), release: () => rmSync(tmp, { recursive: true, force: true }) };
          },
        };
      }
    },
  };
}
