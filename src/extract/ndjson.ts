import { isUtf8 } from 'node:buffer';
import type { NdjsonChunk, SourceRecord } from '../model/records.js';

/** A run of whole NDJSON lines: `buf` ends after a newline (or at the end of the input). */
/**
 * Cut a byte stream into runs of whole lines, split on newline bytes (several times faster than
 * readline: docs/dependencies.md). A chunk is at least about `minBytes` long unless the input ends.
 */
export async function* ndjsonChunks(stream: AsyncIterable<Buffer>, minBytes = 0): AsyncIterable<NdjsonChunk> {
  let line = 1;
  // Pieces not yet ending in a newline: joined once when a newline arrives (a 50 MB line is not
  // copied again for every 1 MB chunk).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of stream) {
    const lastNl = chunk.lastIndexOf(0x0a);
    if (lastNl === -1 || pendingBytes + lastNl + 1 < minBytes) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (lastNl === -1 || pendingBytes < minBytes) continue;
      // Enough bytes now: cut at the last newline of everything pending.
      const all = Buffer.concat(pending);
      const cut = all.lastIndexOf(0x0a) + 1;
      const buf = all.subarray(0, cut);
      pending = cut < all.length ? [all.subarray(cut)] : [];
      pendingBytes = all.length - cut;
      yield { buf, firstLine: line };
      line += countLines(buf);
      continue;
    }
    const head = chunk.subarray(0, lastNl + 1);
    const buf = pending.length ? Buffer.concat([...pending, head]) : head;
    pending = lastNl + 1 < chunk.length ? [chunk.subarray(lastNl + 1)] : [];
    pendingBytes = chunk.length - lastNl - 1;
    yield { buf, firstLine: line };
    line += countLines(buf);
  }
  if (pendingBytes > 0) yield { buf: pending.length === 1 ? pending[0]! : Buffer.concat(pending), firstLine: line };
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Parse a chunk's lines into records: one UTF-8 decode and `JSON.parse` per line. Blank lines are
 * skipped (they still count for line numbers); a line that is not UTF-8 or not JSON becomes a
 * record with `error`, naming its line.
 */
export function parseNdjsonChunk({ buf, firstLine }: NdjsonChunk, out: SourceRecord[]): void {
  let lineNo = firstLine;
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    const next = end === -1 ? buf.length : end + 1;
    if (end === -1) end = buf.length;
    parseLine(buf, start, end, lineNo++, out);
    start = next;
  }
}

function parseLine(buf: Buffer, start: number, end: number, lineNo: number, out: SourceRecord[]): void {
  if (lineNo === 1 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3; // byte order mark
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
    out.push({ value: undefined, where, text: buf.toString('latin1', start, Math.min(end, start + 2000)), error: 'invalid UTF-8 in the line' });
    return;
  }
  const text = buf.toString('utf8', start, end);
  try {
    out.push({ value: JSON.parse(text), where, text });
  } catch (err) {
    out.push({ value: undefined, where, text, error: `invalid JSON: ${(err as Error).message}` });
  }
}
