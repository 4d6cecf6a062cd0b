/**
 * A small seeded PRNG (mulberry32) with the helpers the emulator needs.
 * No dependency, 2^32 period, fast enough for millions of users; not for cryptography.
 */
export class Random {
  private state: number;
  private readonly codes: number[] = [];

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  uint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** `len` characters of [0-9A-Za-z]. */
  base62(len: number): string {
    // Built from char codes in one go: `+=` per character would leave a chain of cons-strings.
    const codes = this.codes;
    codes.length = len;
    for (let i = 0; i < len; ) {
      // 62^5 < 2^32: five characters per draw (the modulo bias is irrelevant here).
      let n = this.uint32();
      for (let k = 0; k < 5 && i < len; k++, i++) {
        codes[i] = BASE62_CODES[n % 62] as number;
        n = Math.floor(n / 62);
      }
    }
    return String.fromCharCode.apply(null, codes);
  }

  /** `len` lowercase hex characters. */
  hex(len: number): string {
    let out = '';
    while (out.length < len) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, len);
  }

  /** `len` decimal digits (may start with 0). */
  digits(len: number): string {
    let out = '';
    while (out.length < len) out += String(this.uint32() % 1_000_000_000).padStart(9, '0');
    return out.slice(0, len);
  }
}

const BASE62_CODES = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (c) => c.charCodeAt(0));

/** Derive an independent 32-bit seed for a named sub-stream, so streams do not shift each other. */
export function deriveSeed(seed: number, salt: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
