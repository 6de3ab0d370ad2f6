/**
 * The `strings` section: decoded one string at a time into a {@link StringTableBuilder}, never
 * joined into one JS string (a section past 512 MiB could not be one; see parser.ts).
 */
import type { Fail, SectionReader } from './raw.js';
import type { StringTableBuilder } from './strings.js';

/**
 * Finds the end of a string without escapes: the index of the closing quote, or -1 when a
 * backslash comes first or the chunk ends. A JS loop, because most strings are a few bytes long
 * and a native indexOf call per string costs more than the scan.
 */
export function plainStringEnd(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x22) return i;
    if (c === 0x5c) return -1;
  }
  return -1;
}

/** Runs plainStringEnd through all its exits, so that V8 optimises it with feedback for each (see the parser's warmUp). */
export function warmUpStrings(): void {
  plainStringEnd(Buffer.from('ab"'), 0, 3);
  plainStringEnd(Buffer.from('a\\b"'), 0, 4);
  plainStringEnd(Buffer.from('ab'), 0, 2);
}

/** Reads the elements of the `strings` array, after its opening bracket, chunk by chunk. */
export class StringsSection implements SectionReader {
  /** True once the closing bracket was read. */
  done = false;
  private inString = false;
  private parts: Buffer[] = [];
  private escaped = false;
  private pendingBackslash = false;

  /** Adds each string to `strings`; reports bad bytes through `fail`. */
  constructor(
    private readonly strings: StringTableBuilder,
    private readonly fail: Fail,
  ) {}

  /** Consumes buf[i..end) (`base`: offset of buf[0]); returns where it stopped. */
  write(buf: Buffer, i: number, end: number, base: number): number {
    // Keep this chunk's part of the section; plain strings are recorded as ranges in it.
    const pieceStart = i;
    this.strings.addPiece(buf.subarray(i, end));
    while (i < end) {
      if (this.inString) {
        i = this.continueString(buf, i, end, base);
        continue;
      }
      const c = buf[i]!;
      if (c === 0x22) {
        i++;
        // Fast path: the whole string is in this chunk and has no escapes.
        const q = plainStringEnd(buf, i, end);
        if (q >= 0) {
          this.strings.addRange(i - pieceStart, q - pieceStart);
          i = q + 1;
          continue;
        }
        this.inString = true;
        this.parts = [];
        this.escaped = false;
        this.pendingBackslash = false;
        continue;
      }
      if (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
        continue;
      }
      if (c === 0x5d) {
        this.done = true;
        return i + 1;
      }
      this.fail(`unexpected byte '${String.fromCharCode(c)}' in "strings"`, base + i);
    }
    return i;
  }

  /** Slow path for strings with escapes or split across chunks: collect the raw bytes, then decode. */
  private continueString(buf: Buffer, i: number, end: number, base: number): number {
    const start = i;
    let pending = this.pendingBackslash;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (pending) {
        pending = false;
        continue;
      }
      if (c === 0x5c) {
        pending = true;
        this.escaped = true;
      } else if (c === 0x22) {
        break;
      }
    }
    this.pendingBackslash = pending;
    this.parts.push(Buffer.from(buf.subarray(start, i)));
    if (i < end) {
      const raw = Buffer.concat(this.parts);
      this.parts = [];
      this.inString = false;
      if (this.escaped) {
        try {
          this.strings.addDecoded(JSON.parse('"' + raw.toString('utf8') + '"') as string);
        } catch {
          this.fail('a bad escape sequence in "strings"', base + start);
        }
      } else {
        this.strings.addDecoded(raw.toString('utf8'));
      }
      return i + 1;
    }
    return i;
  }
}
