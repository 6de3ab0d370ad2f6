/**
 * The snapshot's string table, kept as the raw bytes of the file's `strings` section plus the
 * offsets of each string, and decoded on demand.
 *
 * Why: a service heap has a million strings or more; making each a JS string while parsing cost
 * more in allocation and garbage collection than decoding all the numbers. Most are never looked
 * at (kinds need a few hundred names), so they stay bytes until asked for.
 */

// Buffer's own UTF-8 decoder without toString's argument checks.
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Buffer, start: number, end: number): string }).utf8Slice;

/** Marks a string that is not a plain byte range (it had escapes or crossed two input chunks). */
const SPECIAL = 0xffffffff;

/** Growable Uint32 column. */
class Column {
  data = new Uint32Array(1 << 14);
  length = 0;
  /** Makes room for `n` values at once: pages never written cost no memory. */
  reserve(n: number): void {
    if (n <= this.data.length) return;
    const next = new Uint32Array(n);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  result(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Collects strings as the parser finds them. */
export class StringTableBuilder {
  private readonly pieces: Buffer[] = [];
  private readonly piece = new Column();
  private readonly start = new Column();
  private readonly end = new Column();
  private readonly special = new Map<number, string>();
  private current = -1;

  /** Number of strings so far. */
  get length(): number {
    return this.start.length;
  }

  /** Makes room for up to `n` strings, so that the columns never grow by copying. */
  reserve(n: number): void {
    this.piece.reserve(n);
    this.start.reserve(n);
    this.end.reserve(n);
  }

  /** Keeps a copy of a chunk of the strings section; later `addRange` calls refer to it. */
  addPiece(bytes: Buffer): void {
    this.pieces.push(Buffer.from(bytes));
    this.current = this.pieces.length - 1;
  }

  /** A string that is the bytes [start, end) of the last piece. */
  addRange(start: number, end: number): void {
    this.piece.push(this.current);
    this.start.push(start);
    this.end.push(end);
  }

  /** A string decoded by the caller (escapes, or split across chunks). */
  addDecoded(value: string): void {
    this.special.set(this.start.length, value);
    this.piece.push(SPECIAL);
    this.start.push(0);
    this.end.push(0);
  }

  /** The finished table. */
  finish(): StringTable {
    return new StringTable(this.pieces, this.piece.result(), this.start.result(), this.end.result(), this.special);
  }
}

/** The string table of a snapshot; `get(i)` decodes string i. */
export class StringTable {
  private readonly pieces: readonly Buffer[];
  private readonly piece: Uint32Array;
  private readonly start: Uint32Array;
  private readonly end: Uint32Array;
  private readonly special: ReadonlyMap<number, string>;
  /** Number of strings. */
  readonly length: number;

  constructor(pieces: readonly Buffer[], piece: Uint32Array, start: Uint32Array, end: Uint32Array, special: ReadonlyMap<number, string>) {
    this.pieces = pieces;
    this.piece = piece;
    this.start = start;
    this.end = end;
    this.special = special;
    this.length = start.length;
  }

  /** String i ('' when out of range). */
  get(i: number): string {
    const p = this.piece[i];
    if (p === undefined) return '';
    if (p === SPECIAL) return this.special.get(i) ?? '';
    return utf8Slice.call(this.pieces[p]!, this.start[i]!, this.end[i]!);
  }

  /** Index of the first string equal to `s`, or -1. Compares bytes; decodes only the escaped ones. */
  indexOf(s: string): number {
    const target = Buffer.from(s, 'utf8');
    const len = target.length;
    for (let i = 0; i < this.length; i++) {
      const p = this.piece[i]!;
      if (p === SPECIAL) {
        if (this.special.get(i) === s) return i;
        continue;
      }
      const a = this.start[i]!;
      if (this.end[i]! - a !== len) continue;
      if (this.pieces[p]!.compare(target, 0, len, a, a + len) === 0) return i;
    }
    return -1;
  }

  /**
   * Indexes of the strings that contain `needle` (an ASCII text), found by a byte search over
   * the raw section instead of decoding every string.
   */
  containing(needle: string): number[] {
    const found: number[] = [];
    const n = Buffer.from(needle, 'latin1');
    for (let p = 0; p < this.pieces.length; p++) {
      const bytes = this.pieces[p]!;
      let at = bytes.indexOf(n, 0);
      while (at >= 0) {
        const i = this.locate(p, at);
        if (i >= 0 && found[found.length - 1] !== i) found.push(i);
        at = bytes.indexOf(n, at + 1);
      }
    }
    for (const [i, v] of this.special) if (v.includes(needle)) found.push(i);
    return found.sort((a, b) => a - b);
  }

  /** The string whose range in piece p covers byte `at`, or -1 (a binary search: ranges are in order). */
  private locate(p: number, at: number): number {
    let lo = 0;
    let hi = this.length - 1;
    // Find the last string i with (piece, start) <= (p, at), skipping specials by their neighbours.
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      let m = mid;
      while (m > lo && this.piece[m] === SPECIAL) m--;
      const pm = this.piece[m]!;
      if (pm === SPECIAL || pm < p || (pm === p && this.start[m]! <= at)) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i >= 0; i--) {
      if (this.piece[i] === SPECIAL) continue;
      if (this.piece[i] === p && this.start[i]! <= at && at < this.end[i]!) return i;
      break;
    }
    return -1;
  }

  /** Every string, decoded (costly on big snapshots; for code that wants a plain array). */
  toArray(): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return out;
  }
}
