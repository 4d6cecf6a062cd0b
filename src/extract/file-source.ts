import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';
import { EtlError } from '../errors.js';
import type { RunContext, Source, SourceRecord } from './source.js';

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

/**
 * NDJSON split on newline bytes in the Buffer, then one UTF-8 decode and JSON.parse per line:
 * several times faster than readline (DEPENDENCIES.md).
 */
async function* readNdjson(stream: Readable, ctx: RunContext): AsyncIterable<SourceRecord[]> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  let batch: SourceRecord[] = [];
  const take = (buf: Buffer, start: number, end: number): void => {
    lineNo++;
    if (lineNo === 1 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    if (end > start && buf[end - 1] === 0x0d) end--; // CRLF
    let blank = true;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c !== 0x20 && c !== 0x09) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    const where = `line ${lineNo}`;
    if (!isUtf8(buf.subarray(start, end))) {
      // Decoding would replace the bad bytes with U+FFFD and change the data silently.
      batch.push({ value: undefined, where, text: buf.toString('latin1', start, Math.min(end, start + 2000)), error: 'invalid UTF-8 in the line' });
      return;
    }
    const text = buf.toString('utf8', start, end);
    try {
      batch.push({ value: JSON.parse(text), where, text });
    } catch (err) {
      batch.push({ value: undefined, where, text, error: `invalid JSON: ${(err as Error).message}` });
    }
  };
  // Pieces of a line longer than a chunk: joined once when its newline arrives (a 50 MB line is
  // not copied again for every 1 MB chunk).
  let pending: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const firstNl = chunk.indexOf(0x0a);
    if (firstNl === -1) {
      pending.push(chunk);
      continue;
    }
    let buf: Buffer = chunk;
    if (carry || pending.length) {
      buf = Buffer.concat([...(carry ? [carry] : []), ...pending, chunk]);
      pending = [];
    }
    carry = undefined;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      take(buf, start, nl);
      start = nl + 1;
    }
    if (start < buf.length) carry = buf.subarray(start);
    if (batch.length >= BATCH) {
      ctx.signal.throwIfAborted();
      yield batch;
      batch = [];
    }
  }
  if (pending.length) carry = Buffer.concat([...(carry ? [carry] : []), ...pending]);
  if (carry && carry.length) take(carry, 0, carry.length);
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
