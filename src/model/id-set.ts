/**
 * A set of ids that grows by about 40 bytes per id instead of ~80 for a `Set<string>`: ASCII ids
 * (every Clerk id: `user_` + 27 base62 characters) are kept as bytes in one growing arena, found
 * through an open-addressing table of arena offsets. It is exact (ids are compared byte by byte,
 * never by hash alone). Any other id (non-ASCII, or over 255 characters) goes to a plain Set.
 *
 * A run keeps every id it has read (de-duplication, deletion detection), so this is the part of
 * its memory that grows with the number of users.
 */
export class IdSet implements ReadonlySet<string> {
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** Arena offset + 1 of each stored id; 0 = empty slot. */
  private slots = new Int32Array(1 << 12);
  private count = 0;
  private readonly other = new Set<string>();

  constructor(ids?: Iterable<string>) {
    if (ids) for (const id of ids) this.add(id);
  }

  get size(): number {
    return this.count + this.other.size;
  }

  has(id: string): boolean {
    if (!isCompact(id)) return this.other.has(id);
    return this.slots[this.find(id)] !== 0;
  }

  /** Adds the id; returns false when it was already there. */
  add(id: string): this {
    this.insert(id);
    return this;
  }

  /** Adds the id; true when it was new. */
  insert(id: string): boolean {
    if (!isCompact(id)) {
      if (this.other.has(id)) return false;
      this.other.add(id);
      return true;
    }
    let slot = this.find(id);
    if (this.slots[slot] !== 0) return false;
    if ((this.count + 1) * 2 > this.slots.length) {
      this.grow();
      slot = this.find(id);
    }
    const need = this.used + 1 + id.length;
    if (need > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.arena.length * 2));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    const at = this.used;
    this.arena[at] = id.length;
    this.arena.write(id, at + 1, 'latin1');
    this.used = need;
    this.slots[slot] = at + 1;
    this.count++;
    return true;
  }

  /** The slot holding `id`, or the empty slot where it would go. */
  private find(id: string): number {
    const mask = this.slots.length - 1;
    const arena = this.arena;
    const len = id.length;
    let i = hash(id) & mask;
    for (;;) {
      const s = this.slots[i]!;
      if (s === 0) return i;
      const at = s - 1;
      if (arena[at] === len) {
        let k = 0;
        while (k < len && arena[at + 1 + k] === id.charCodeAt(k)) k++;
        if (k === len) return i;
      }
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const s of old) {
      if (s === 0) continue;
      let i = hash(this.idAt(s - 1)) & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = s;
    }
  }

  private idAt(at: number): string {
    return this.arena.toString('latin1', at + 1, at + 1 + this.arena[at]!);
  }

  *values(): IterableIterator<string> {
    for (let at = 0; at < this.used; at += 1 + this.arena[at]!) yield this.idAt(at);
    yield* this.other;
  }

  keys(): IterableIterator<string> {
    return this.values();
  }

  *entries(): IterableIterator<[string, string]> {
    for (const v of this.values()) yield [v, v];
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.values();
  }

  forEach(fn: (value: string, value2: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const v of this.values()) fn.call(thisArg, v, v, this);
  }
}

function isCompact(id: string): boolean {
  if (id.length > 255) return false;
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** FNV-1a over the UTF-16 code units. */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
