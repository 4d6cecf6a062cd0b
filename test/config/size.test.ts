import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../src/settings/values.js';
import { closest, editDistance } from '../../src/config/suggest.js';

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['134217728', 134217728],
    ['128MiB', 134217728],
    ['128MB', 134217728],
    ['128M', 134217728],
    ['128 mib', 134217728],
    ['1G', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2TiB', 2 * 1024 ** 4],
    ['10KB', 10240],
    ['7b', 7],
  ])('%s → %d', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(['', 'MiB', '-1MiB', '1 parsec', '1PB', '1e6', '0x10', '1,5G'])('%j is not a size', (text) => expect(parseSize(text)).toBeUndefined());

  it('formats sizes for messages', () => {
    expect([formatSize(5 * 1024 ** 2), formatSize(1024), formatSize(1000), formatSize(1)]).toEqual(['5MiB', '1KiB', '1000B', '1B']);
  });
});

describe('closest', () => {
  it('measures transpositions as one edit', () => {
    expect(editDistance('endpiont', 'endpoint')).toBe(1);
    expect(editDistance('formt', 'format')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests within 3 edits, fewer for short words', () => {
    const keys = ['to', 'format', 'mode', 'request_timeout_ms', 'max_file_bytes'];
    expect(closest('formt', keys)).toBe('format');
    expect(closest('request_timout', keys)).toBe('request_timeout_ms');
    expect(closest('MaxFileBytes', keys)).toBe('max_file_bytes');
    expect(closest('tp', keys)).toBe('to');
    expect(closest('note', keys)).toBeUndefined();
    expect(closest('compression_level', keys)).toBeUndefined();
  });
});
