/**
 * The one module that imports hyparquet-writer. The tool encodes its column chunks itself
 * (parquet-pages.ts, the hot path) and borrows only the file frame from hyparquet-writer: the
 * `PAR1` magic its ParquetWriter constructor writes, and the footer its `finish()` writes from the
 * writer's `row_groups` and `num_rows`. Filling those two members, and draining ByteWriter's
 * `buffer` up to its `index` after each row group, uses hyparquet-writer's internals rather than
 * its documented `write()` API; that is why the dependency is pinned to an exact version and
 * test/load/parquet-adapter.test.ts checks every member relied on (docs/dependencies.md,
 * "hyparquet-writer: the adapter").
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

type WriterOptions = ConstructorParameters<typeof ParquetWriter>[0];

/** One element of a Parquet schema, in hyparquet-writer's (thrift) shape. */
export type ParquetSchemaElement = WriterOptions['schema'][number];
/** A Parquet compression codec name (`SNAPPY`, `GZIP`, …). */
export type ParquetCodecName = NonNullable<WriterOptions['codec']>;
/** Compressors by codec name, for codecs hyparquet-writer does not bring (it brings SNAPPY). */
export type ParquetCompressors = NonNullable<WriterOptions['compressors']>;
/** A column chunk's footer metadata, as the footer writer takes it. */
export type ParquetColumnChunk = ParquetWriter['row_groups'][number]['columns'][number];

/** What a Parquet file is written with. */
export interface ParquetFileOptions {
  /** The schema, root element first. */
  schema: ParquetSchemaElement[];
  /** The codec the chunks are compressed with (recorded per chunk; checked to have a compressor). */
  codec: ParquetCodecName;
  compressors: ParquetCompressors;
  createdBy: string;
}

/**
 * A ByteWriter that hands its bytes to `write` after every row group, so a file is never held
 * whole in memory: at most one encoded row group is buffered. Relies on ByteWriter's `buffer`
 * (the bytes) and `index` (how many of them are not yet handed on), which ByteWriter resets
 * nowhere itself.
 */
class StreamingByteWriter extends ByteWriter {
  constructor(private readonly write: (chunk: Uint8Array) => Promise<void>) {
    super(1 << 20);
  }
  drain(): Promise<void> {
    if (this.index === 0) return Promise.resolve();
    // Copy: the buffer is reused for the next row group while the stream may still hold the chunk.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.write(chunk);
  }
  override finish(): Promise<void> {
    return this.drain();
  }
}

/** A Parquet file written one row group at a time from column chunks encoded elsewhere. */
export class ParquetFile {
  private readonly bytes: StreamingByteWriter;
  private readonly writer: ParquetWriter;

  /** Writes the `PAR1` magic at once (into the buffer; handed to `write` with the first row group). */
  constructor(write: (chunk: Uint8Array) => Promise<void>, options: ParquetFileOptions) {
    this.bytes = new StreamingByteWriter(write);
    this.writer = new ParquetWriter({ writer: this.bytes, schema: options.schema, codec: options.codec, compressors: options.compressors, createdBy: options.createdBy });
    if (options.codec !== 'UNCOMPRESSED' && !this.writer.compressors[options.codec]) throw new Error(`parquet: no compressor for codec ${options.codec}`);
  }

  /** Where column chunks are appended; its `offset` is the file offset of the next byte. */
  get out(): { readonly offset: number; appendBytes(bytes: Uint8Array): void } {
    return this.bytes;
  }

  /** The compressor of `codec` (hyparquet-writer's own snappy, or one passed in); none for UNCOMPRESSED. */
  compressor(codec: ParquetCodecName): ((input: Uint8Array) => Uint8Array) | undefined {
    return codec === 'UNCOMPRESSED' ? undefined : this.writer.compressors[codec];
  }

  /**
   * Record a row group whose chunks were appended to {@link out} from byte `start` on, and hand
   * its bytes on. The footer lists it, as ParquetWriter#write would have.
   */
  async addRowGroup(columns: ParquetColumnChunk[], rows: number, start: number): Promise<void> {
    let total = 0n;
    for (const c of columns) total += c.meta_data?.total_uncompressed_size ?? 0n;
    this.writer.row_groups.push({ columns, total_byte_size: total, num_rows: BigInt(rows), total_compressed_size: BigInt(this.bytes.offset - start) });
    this.writer.num_rows += BigInt(rows);
    await this.bytes.drain();
  }

  /** Write the footer (schema, row groups, `PAR1`) and hand the last bytes on. */
  async finish(): Promise<void> {
    await this.writer.finish();
  }
}
