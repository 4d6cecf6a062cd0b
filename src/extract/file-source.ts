import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';
import { EtlError } from '../errors.js';
import { DASHBOARD_CSV_COLUMNS } from '../transform/import-user.js';
import type { Source } from './source.js';
import type { NdjsonChunk, RunContext, SourceRecord } from '../model/records.js';
import { ndjsonChunks, parseNdjsonChunk } from './ndjson.js';

/** Records per batch handed to the transform. */
const BATCH = 1000;

export type FileFormat = 'auto' | 'ndjson' | 'json-array';

/**
 * Users from a file: NDJSON (one user per line; this tool's `raw` output) or one JSON array of
 * users, streamed with stream-json so a multi-GB file is never loaded whole. `.gz` files are
 * decompressed on the fly. A line or element that is not valid JSON is a reject naming its line;
 * a JSON array that cannot be parsed fails the run with the position stream-json reports.
 */
export class FileSource implements Source {
  readonly mayRepeat = false;
  readonly requiresUsers = true;
  readonly description: Record<string, unknown>;

  constructor(
    private readonly file: string,
    private readonly format: FileFormat = 'auto',
  ) {
    this.description = { kind: 'file', path: path.resolve(file) };
  }

  async total(): Promise<number | undefined> {
    return undefined;
  }

  async *read(ctx: RunContext): AsyncIterable<SourceRecord[]> {
    await assertReadable(this.file);
    const format = this.format === 'auto' ? await detectFormat(this.file) : this.format;
    if (format === 'ndjson') await assertNotDashboardCsv(this.file);
    this.description.format = format;
    ctx.log.info('reading users from file', { file: this.file, format });
    if (format === 'json-array') yield* readJsonArray(this.openStream(ctx), ctx, this.file);
    else yield* readNdjson(this.openStream(ctx), ctx, this.file);
  }

  async ndjsonChunks(ctx: RunContext, minBytes: number): Promise<AsyncIterable<NdjsonChunk> | undefined> {
    await assertReadable(this.file);
    const format = this.format === 'auto' ? await detectFormat(this.file) : this.format;
    if (format !== 'ndjson') return undefined;
    await assertNotDashboardCsv(this.file);
    this.description.format = format;
    ctx.log.info('reading users from file', { file: this.file, format });
    return ndjsonChunks(gzipErrorsNamed(this.openStream(ctx), this.file), minBytes);
  }

  private openStream(ctx: RunContext): Readable {
    const raw = createReadStream(this.file, { highWaterMark: 1 << 20, signal: ctx.signal });
    return this.file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  }
}

/**
 * A zlib error of a `.gz` input as a clear error naming the file, or undefined for any other
 * error. zlib says "unexpected end of file" (Z_BUF_ERROR) when the compressed data stops early.
 */
export function gzipInputError(file: string, err: unknown): EtlError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return undefined;
  const message = (err as Error).message;
  const why = code === 'Z_BUF_ERROR' ? 'the .gz is truncated (an interrupted download or copy?)' : 'the file is not valid gzip data';
  return new EtlError('INPUT_INVALID', `Cannot read ${file}: ${message}: ${why}. Nothing was read past that point; use a complete file.`, { cause: err });
}

/** The stream's chunks; a zlib error becomes gzipInputError. */
async function* gzipErrorsNamed(stream: Readable, file: string): AsyncIterable<Buffer> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw gzipInputError(file, err) ?? err;
  }
}

/**
 * `export --from` reads Clerk users as JSON; Clerk's dashboard "Export users" CSV is for `import`.
 * A file whose first line (after `#` comments) is that CSV's header fails here with that hint,
 * rather than as one reject per row.
 */
async function assertNotDashboardCsv(file: string): Promise<void> {
  const head = await readHead(file, 64 * 1024);
  const line = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (line === undefined || /^\s*[[{]/.test(line)) return;
  const fields = line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
  const known = fields.filter((f) => (DASHBOARD_CSV_COLUMNS as readonly string[]).includes(f));
  if (!fields.includes('id') || known.length < 3) return;
  // `import` reads the dashboard CSV from a plain .csv file only.
  const csv = file.replace(/\.gz$/i, '');
  throw new EtlError(
    'INPUT_INVALID',
    `${file} looks like a Clerk dashboard CSV export (header: ${fields.slice(0, 6).join(', ')}${fields.length > 6 ? ', …' : ''}), not Clerk users as JSON (NDJSON or a JSON array of Backend API User objects, what \`export --from\` reads). To load this CSV into a Clerk instance, use: clerk-etl import --from ${csv}${csv !== file ? ' (decompress it first)' : ''}`,
  );
}

/** Up to `max` first bytes of the file, decompressed when it is a .gz. */
async function readHead(file: string, max: number): Promise<Buffer> {
  const stream = createReadStream(file, { end: file.endsWith('.gz') ? undefined : max - 1 });
  const source = file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= max) break;
    }
  } catch (err) {
    throw gzipInputError(file, err) ?? err;
  } finally {
    stream.destroy();
    source.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max);
}

/** A clear usage error for a missing --from file, instead of a stream error later. */
export async function assertReadable(file: string): Promise<void> {
  try {
    await stat(file);
  } catch {
    throw new EtlError('USAGE', `Cannot read --from ${file}: no such file.`);
  }
}

async function detectFormat(file: string): Promise<'ndjson' | 'json-array'> {
  if (file.endsWith('.gz')) {
    // Peek after decompression.
    const stream = createReadStream(file).pipe(createGunzip());
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const c = firstNonSpace(chunk);
        if (c !== undefined) {
          stream.destroy();
          return c === 0x5b ? 'json-array' : 'ndjson';
        }
      }
    } catch (err) {
      throw gzipInputError(file, err) ?? err;
    }
    return 'ndjson';
  }
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return 'ndjson';
      const c = firstNonSpace(buf.subarray(0, bytesRead));
      if (c !== undefined) return c === 0x5b ? 'json-array' : 'ndjson';
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

function firstNonSpace(buf: Buffer): number | undefined {
  let i = 0;
  // UTF-8 byte order mark
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return undefined;
}

/** NDJSON: whole-line chunks, parsed into batches of about BATCH records. */
async function* readNdjson(stream: Readable, ctx: RunContext, file: string): AsyncIterable<SourceRecord[]> {
  let batch: SourceRecord[] = [];
  for await (const chunk of ndjsonChunks(gzipErrorsNamed(stream, file))) {
    parseNdjsonChunk(chunk, batch);
    if (batch.length >= BATCH) {
      ctx.signal.throwIfAborted();
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** One top-level JSON array of users, streamed element by element. */
async function* readJsonArray(stream: Readable, ctx: RunContext, file: string): AsyncIterable<SourceRecord[]> {
  // streamValues:false: values arrive packed, about twice as fast (docs/dependencies.md, "stream-json").
  const parsed = stream.pipe(streamArray.withParserAsStream({ streamValues: false }));
  stream.on('error', (err) => parsed.destroy(err));
  let batch: SourceRecord[] = [];
  let count = 0;
  try {
    for await (const item of parsed as AsyncIterable<{ key: number; value: unknown }>) {
      count = item.key + 1;
      batch.push({ value: item.value, where: `record ${item.key + 1}` });
      if (batch.length >= BATCH) {
        ctx.signal.throwIfAborted();
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (err instanceof EtlError) throw err;
    const gz = gzipInputError(file, err);
    if (gz) throw gz;
    throw new EtlError('INPUT_INVALID', `The JSON array could not be parsed after ${count ? `record ${count}` : 'its start'}: ${(err as Error).message}`, { cause: err });
  }
  if (batch.length) yield batch;
}
