import { createGzip } from 'node:zlib';
import { waitForDrain, type OutputFile, type WrittenFile } from './destination.js';

/**
 * Gzip in front of an OutputFile: one gzip stream per file (not one member per chunk), so every
 * reader (gunzip, DuckDB, Spark, Athena) reads it. Bytes, sha256 and size are of the compressed
 * file, as stored. Compressed output is handed on in order, and a write waits for it, so memory
 * stays at about one chunk.
 */
export function gzipFile(inner: OutputFile, level = 6): OutputFile {
  const gz = createGzip({ level });
  let forwarding: Promise<void> = Promise.resolve();
  let failure: unknown;
  gz.on('data', (d: Buffer) => {
    forwarding = forwarding.then(() => inner.write(d)).catch((err: unknown) => {
      failure ??= err;
    });
  });
  gz.on('error', (err) => {
    failure ??= err;
  });
  const check = (): void => {
    if (failure) throw failure;
  };
  return {
    path: inner.path,
    get bytes() {
      return inner.bytes;
    },
    async write(chunk) {
      check();
      if (!gz.write(chunk)) await waitForDrain(gz);
      await forwarding;
      check();
    },
    async close(): Promise<WrittenFile> {
      check();
      // 'end' (not end()'s callback, which fires at 'finish') means every compressed byte was emitted.
      const ended = new Promise<void>((resolve) => {
        gz.once('end', resolve);
        gz.once('error', () => resolve());
      });
      gz.end();
      await ended;
      await forwarding;
      check();
      return inner.close();
    },
  };
}
