/**
 * Column chunks of flat Parquet columns, encoded straight from JS values into one reused buffer:
 * PLAIN values (strings UTF-8-encoded in place, no per-value allocation), RLE/bit-packed
 * definition levels, DATA_PAGE_V2 pages of about 1 MiB, thrift page headers. hyparquet-writer's
 * general encoder allocates per value (a TextEncoder array per string, a BigInt per int64, copies
 * per page); this is the tool's hot path. The file frame (magic, footer metadata) is written by
 * parquet-adapter.ts (hyparquet-writer), which takes the chunks' metadata as it would its own.
 */
import type { ColumnType } from '../model/schema.js';

/** What a column is, for encoding. */
export interface FlatColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Write min/max statistics. */
  statistics: boolean;
}

/** The subset of hyparquet-writer's Writer this needs. */
export interface ChunkWriter {
  offset: number;
  appendBytes(bytes: Uint8Array): void;
}

export type Compressor = (input: Uint8Array) => Uint8Array;

/** The codecs a chunk is written with (names as in Parquet's thrift CompressionCodec). */
export type ChunkCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'BROTLI';

/** Column chunk metadata in the shape hyparquet-writer's footer writer takes (parquet-adapter.ts's ParquetColumnChunk). */
export interface ChunkMeta {
  meta_data: {
    type: 'BYTE_ARRAY' | 'INT64' | 'BOOLEAN';
    encodings: Array<'PLAIN' | 'RLE'>;
    path_in_schema: string[];
    codec: ChunkCodec;
    num_values: bigint;
    total_compressed_size: bigint;
    total_uncompressed_size: bigint;
    data_page_offset: bigint;
    statistics?: { null_count: bigint; min_value?: string | number | boolean; max_value?: string | number | boolean };
  };
  file_offset: bigint;
}

const PAGE_BYTES = 1 << 20;

/** A growable byte buffer, reused from one page to the next. */
class Bytes {
  buf = Buffer.allocUnsafe(1 << 16);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  varint(v: number): void {
    this.ensure(5);
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }
  /** Thrift compact i32 field (zigzag varint) with a header delta of 1. */
  i32Field(delta: number, v: number): void {
    this.byte((delta << 4) | 5);
    this.varint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  /** Let go of a buffer one huge value grew (a 50 MB string): keep a small one for the next page. */
  shrink(): void {
    if (this.buf.length > 8 << 20) this.buf = Buffer.allocUnsafe(1 << 16);
    this.len = 0;
  }
}

// Shared by every chunk of this thread: encoding is synchronous, one chunk at a time.
const values = new Bytes();
const levels = new Bytes();
const header = new Bytes();

/** Encode `data` (one row group of one column) and append it to `writer`. */
export function writeFlatColumn(writer: ChunkWriter, column: FlatColumn, data: readonly unknown[], codec: ChunkCodec, compress: Compressor | undefined): ChunkMeta {
  const physical = column.type === 'boolean' ? 'BOOLEAN' : column.type === 'int64' || column.type === 'timestamp' ? 'INT64' : 'BYTE_ARRAY';
  const start = writer.offset;
  let uncompressed = 0;
  let nulls = 0;
  let min: string | number | boolean | undefined;
  let max: string | number | boolean | undefined;
  let minBytes: Buffer | undefined;
  let maxBytes: Buffer | undefined;
  const n = data.length;
  let i = 0;
  while (i < n || i === 0) {
    // One page: values until about PAGE_BYTES.
    values.len = 0;
    const first = i;
    let pageNulls = 0;
    let bits = 0;
    let bitCount = 0;
    let pMinAt = -1;
    let pMinLen = 0;
    let pMaxAt = -1;
    let pMaxLen = 0;
    for (; i < n && values.len < PAGE_BYTES; i++) {
      const v = data[i];
      if (v === null || v === undefined) {
        if (!column.nullable) throw new Error(`parquet: null in required column ${column.name}`);
        pageNulls++;
        continue;
      }
      if (physical === 'BYTE_ARRAY') {
        const s = typeof v === 'string' ? v : String(v);
        values.ensure(s.length * 3 + 4);
        const at = values.len + 4;
        const w = values.buf.write(s, at, 'utf8');
        values.buf.writeUInt32LE(w, values.len);
        values.len = at + w;
        if (column.statistics) {
          // Unsigned byte order, as Parquet wants for BYTE_ARRAY bounds; copied out once per page.
          // buf.compare(target, tStart, tEnd, sStart, sEnd) orders the source (this value) against the target.
          // Ids mostly arrive in order, so the max is tested first and the min only when needed.
          const buf = values.buf;
          if (pMaxAt < 0) {
            pMinAt = pMaxAt = at;
            pMinLen = pMaxLen = w;
          } else if (buf.compare(buf, pMaxAt, pMaxAt + pMaxLen, at, at + w) > 0) {
            pMaxAt = at;
            pMaxLen = w;
          } else if (buf.compare(buf, pMinAt, pMinAt + pMinLen, at, at + w) < 0) {
            pMinAt = at;
            pMinLen = w;
          }
        }
      } else if (physical === 'INT64') {
        const x = v as number;
        values.ensure(8);
        if (x >= -0x800000000000 && x < 0x800000000000 && Number.isInteger(x)) {
          values.buf.writeIntLE(x, values.len, 6);
          const sign = x < 0 ? 0xff : 0;
          values.buf[values.len + 6] = sign;
          values.buf[values.len + 7] = sign;
        } else {
          values.buf.writeBigInt64LE(BigInt(x), values.len);
        }
        values.len += 8;
        if (column.statistics) {
          if (min === undefined || x < (min as number)) min = x;
          if (max === undefined || x > (max as number)) max = x;
        }
      } else {
        // BOOLEAN, PLAIN: bit-packed, least significant bit first.
        if (v === true) bits |= 1 << bitCount;
        if (++bitCount === 8) {
          values.byte(bits);
          bits = 0;
          bitCount = 0;
        }
        if (column.statistics) {
          // The value written is its bit: `v === true`.
          const b = v === true;
          if (min === undefined || (min === true && !b)) min = b;
          if (max === undefined || (max === false && b)) max = b;
        }
        // A page of booleans is never near PAGE_BYTES; bound it by rows instead.
        if (i - first >= PAGE_BYTES) {
          i++;
          break;
        }
      }
    }
    if (bitCount > 0) values.byte(bits);
    if (pMinAt >= 0) {
      const pMin = values.buf.subarray(pMinAt, pMinAt + pMinLen);
      const pMax = values.buf.subarray(pMaxAt, pMaxAt + pMaxLen);
      if (!minBytes || Buffer.compare(pMin, minBytes) < 0) minBytes = Buffer.from(pMin);
      if (!maxBytes || Buffer.compare(pMax, maxBytes) > 0) maxBytes = Buffer.from(pMax);
    }
    const rows = i - first;
    nulls += pageNulls;
    levels.len = 0;
    if (column.nullable) encodeDefinitionLevels(data, first, i);
    const body = values.view();
    const stored = compress && body.length ? compress(body) : body;
    header.len = 0;
    header.i32Field(1, 3); // type: DATA_PAGE_V2
    header.i32Field(1, levels.len + body.length); // uncompressed_page_size
    header.i32Field(1, levels.len + stored.length); // compressed_page_size
    header.byte((5 << 4) | 12); // field 8: data_page_header_v2 (struct)
    header.i32Field(1, rows); // num_values
    header.i32Field(1, pageNulls); // num_nulls
    header.i32Field(1, rows); // num_rows
    header.i32Field(1, 0); // encoding: PLAIN
    header.i32Field(1, levels.len); // definition_levels_byte_length
    header.i32Field(1, 0); // repetition_levels_byte_length
    header.byte((1 << 4) | (compress ? 1 : 2)); // is_compressed
    header.byte(0); // end of data_page_header_v2
    header.byte(0); // end of PageHeader
    writer.appendBytes(header.view());
    if (levels.len) writer.appendBytes(levels.view());
    writer.appendBytes(stored);
    uncompressed += header.len + levels.len + body.length;
    values.shrink();
    if (n === 0) break;
  }
  if (minBytes) min = minBytes.toString('utf8');
  if (maxBytes) max = maxBytes.toString('utf8');
  return {
    meta_data: {
      type: physical,
      encodings: column.nullable ? ['PLAIN', 'RLE'] : ['PLAIN'],
      path_in_schema: [column.name],
      codec,
      num_values: BigInt(n),
      total_compressed_size: BigInt(writer.offset - start),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: BigInt(start),
      ...(column.statistics ? { statistics: { null_count: BigInt(nulls), ...(min !== undefined ? { min_value: min, max_value: max } : {}) } } : {}),
    },
    file_offset: BigInt(start),
  };
}

/**
 * Definition levels (1 = value, 0 = null) of rows [from, to) into `levels`, RLE/bit-packed hybrid
 * with bit width 1: runs of 8 or more equal levels as RLE runs, the rest bit-packed 8 at a time.
 */
function encodeDefinitionLevels(data: readonly unknown[], from: number, to: number): void {
  const level = (k: number): number => (data[k] === null || data[k] === undefined ? 0 : 1);
  const runAt = (k: number): number => {
    const l = level(k);
    let e = k + 1;
    while (e < to && level(e) === l) e++;
    return e - k;
  };
  let k = from;
  while (k < to) {
    const run = runAt(k);
    if (run >= 8) {
      levels.varint(run << 1);
      levels.byte(level(k));
      k += run;
      continue;
    }
    // Bit-packed groups of 8 until a long run starts (padded with zeros only at the very end).
    const groupsAt = levels.len;
    levels.byte(0); // header, patched below (at most 63 groups: one byte)
    let groups = 0;
    do {
      let b = 0;
      for (let j = 0; j < 8; j++) if (k + j < to && level(k + j)) b |= 1 << j;
      levels.byte(b);
      groups++;
      k += 8;
    } while (k < to && groups < 63 && runAt(k) < 8);
    levels.buf[groupsAt] = (groups << 1) | 1;
  }
}
