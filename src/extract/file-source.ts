import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';
import { EtlError } from '../errors.js';
import type { RunContext, Source, SourceRecord } from './source.js';
import { ndjsonChunks, parseNdjsonChunk, type NdjsonChunk } from './ndjson.js';

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
    this.description.format = format;
    ctx.log.info('reading users from file', { file: this.file, format });
    if (format === 'json-array') yield* readJsonArray(this.openStream(ctx), ctx);
    else yield* readNdjson(this.openStream(ctx), ctx);
  }

  async ndjsonChunks(ctx: RunContext, minBytes: number): Promise<AsyncIterable<NdjsonChunk> | undefined> {
    await assertReadable(this.file);
    const format = this.format === 'auto' ? await detectFormat(this.file) : this.format;
    if (format !== 'ndjson') return undefined;
    this.description.format = format;
    ctx.log.info('reading users from file', { file: this.file, format });
    return ndjsonChunks(this.openStream(ctx) as AsyncIterable<Buffer>, minBytes);
  }

  private openStream(ctx: RunContext): Readable {
    const raw = createReadStream(this.file, { highWaterMark: 1 << 20, signal: ctx.signal });
    return this.file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  }
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
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const c = firstNonSpace(chunk);
      if (c !== undefined) {
        stream.destroy();
        return c === 0x5b ? 'json-array' : 'ndjson';
      }
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
async function* readNdjson(stream: Readable, ctx: RunContext): AsyncIterable<SourceRecord[]> {
  let batch: SourceRecord[] = [];
  for await (const chunk of ndjsonChunks(stream as AsyncIterable<Buffer>)) {
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
async function* readJsonArray(stream: Readable, ctx: RunContext): AsyncIterable<SourceRecord[]> {
  // streamValues:false: values arrive packed, about twice as fast (DEPENDENCIES.md).
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
    throw new EtlError('INPUT_INVALID', `The JSON array could not be parsed after ${count ? `record ${count}` : 'its start'}: ${(err as Error).message}`, { cause: err });
  }
  if (batch.length) yield batch;
}
