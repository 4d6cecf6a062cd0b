import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * How many records an import file holds, read in one quick pass before (or while) the import
 * runs, for the progress total: NDJSON counts its non-empty lines, a JSON array its top-level
 * elements (a scan of brackets outside strings), the dashboard CSV its lines after the header
 * that are neither empty nor `#` comments (a quoted cell with a line break makes that an
 * over-estimate). Undefined when the file cannot be read: the import itself then says why.
 */
export async function countRecords(file: string, kind: 'raw' | 'clerk-csv', signal?: AbortSignal): Promise<number | undefined> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20, signal });
  const stream: Readable = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (err) => stream.destroy(err));
  const counter = kind === 'clerk-csv' ? new LineCounter(true) : new JsonCounter();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) counter.add(chunk);
  } catch {
    return undefined;
  }
  return counter.count();
}

const NL = 0x0a;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0xef || c === 0xbb || c === 0xbf;

/** Non-empty lines (CSV: minus the header and `#` comment lines). */
class LineCounter {
  private lines = 0;
  private content = false;
  private first = -1;
  constructor(private readonly csv: boolean) {}
  add(buf: Buffer): void {
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === NL) {
        if (this.content && !(this.csv && this.first === 0x23)) this.lines++;
        this.content = false;
        this.first = -1;
      } else if (!this.content && !isSpace(c)) {
        this.content = true;
        this.first = c;
      }
    }
  }
  count(): number {
    const n = this.lines + (this.content && !(this.csv && this.first === 0x23) ? 1 : 0);
    return this.csv ? Math.max(0, n - 1) : n;
  }
}

/** A JSON array's top-level elements, or else NDJSON's non-empty lines: decided by the first character. */
class JsonCounter {
  private mode: 'unknown' | 'array' | 'lines' = 'unknown';
  private readonly lines = new LineCounter(false);
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectValue = false;
  private elements = 0;
  add(buf: Buffer): void {
    if (this.mode === 'unknown') {
      const i = buf.findIndex((c) => !isSpace(c));
      if (i < 0) return;
      this.mode = buf[i] === 0x5b ? 'array' : 'lines';
    }
    if (this.mode === 'lines') return this.lines.add(buf);
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (this.depth === 1 && this.expectValue && !isSpace(c) && c !== 0x5d) {
        this.elements++;
        this.expectValue = false;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x5b || c === 0x7b) {
        this.depth++;
        if (this.depth === 1) this.expectValue = true;
      } else if (c === 0x5d || c === 0x7d) this.depth--;
      else if (c === 0x2c && this.depth === 1) this.expectValue = true;
    }
  }
  count(): number {
    return this.mode === 'array' ? this.elements : this.lines.count();
  }
}
