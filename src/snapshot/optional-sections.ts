/**
 * The sections only some snapshots fill: `trace_function_infos` and `trace_tree` (allocation
 * tracking) and `locations` (closures' source positions). They are small next to the nodes and
 * edges, so they are read into growable arrays; `samples` is scanned and dropped by the parser,
 * since nothing in heapy reads it.
 */
import type { SnapshotMeta } from './meta.js';
import type { Fail, SectionReader, TraceTree } from './raw.js';

const NONE = 0xffffffff;

/** Growable array of numbers for the optional sections. */
export class Growable {
  private data: Float64Array | Uint32Array;
  /** Number of values pushed so far. */
  length = 0;
  /** `u32` for sections whose numbers fit 32 bits (locations): half the memory of doubles. */
  constructor(u32 = false) {
    this.data = u32 ? new Uint32Array(1024) : new Float64Array(1024);
  }
  /** Makes room for `n` values at once: pages never written cost no memory. */
  reserve(n: number): void {
    if (n > this.data.length) this.grow(n);
  }
  private grow(min: number): void {
    const size = Math.max(this.data.length * 2, min);
    const next = this.data instanceof Uint32Array ? new Uint32Array(size) : new Float64Array(size);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /** Adds one value. */
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  /** Adds the values. */
  append(values: Float64Array): void {
    if (this.length + values.length > this.data.length) this.grow(this.length + values.length);
    this.data.set(values, this.length);
    this.length += values.length;
  }
  /** The values so far (a view, not a copy). */
  result(): Float64Array | Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Reads `trace_tree`, after its opening bracket. It nests: [id, function_info_index, count, size,
 * [children...], id, ...]; each record's numbers come first, then its children array one level
 * deeper. Only the id, the function info and the parent are kept.
 */
export class TraceTreeReader implements SectionReader {
  /** True once the outer array was closed. */
  done = false;
  private readonly ids = new Growable();
  private readonly fn = new Growable();
  private readonly parent = new Growable();
  private readonly stack: number[] = [NONE];
  private record: number[] = [];
  private depth = 1;
  private cur = 0;
  private inNum = false;
  private readonly perRecord: number;

  /** `meta`: the header if it came first (its trace_node_fields give the record length; 5 without). */
  constructor(
    meta: SnapshotMeta | undefined,
    private readonly fail: Fail,
  ) {
    this.perRecord = Math.max(1, (meta?.traceNodeFields.length ?? 5) - 1);
  }

  /** Consumes buf[i..end) (`base`: offset of buf[0]); returns where it stopped. */
  write(buf: Buffer, i: number, end: number, base: number): number {
    const perRecord = this.perRecord;
    let cur = this.cur;
    let inNum = this.inNum;
    const flush = () => {
      if (!inNum) return;
      this.record.push(cur);
      cur = 0;
      inNum = false;
      if (this.record.length === perRecord) {
        const index = this.ids.length;
        this.ids.push(this.record[0]!);
        this.fn.push(this.record[1] ?? 0);
        this.parent.push(this.stack[this.depth - 1] ?? NONE);
        this.stack[this.depth] = index;
        this.record = [];
      }
    };
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        cur = cur * 10 + (c - 0x30);
        inNum = true;
      } else if (c === 0x2c) {
        flush();
      } else if (c === 0x5b) {
        flush();
        this.depth++;
        if (this.depth > 100000) this.fail('"trace_tree" nests too deep', base + i);
      } else if (c === 0x5d) {
        flush();
        this.depth--;
        if (this.depth === 0) {
          this.done = true;
          i++;
          break;
        }
      } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.fail(`unexpected byte '${String.fromCharCode(c)}' in "trace_tree"`, base + i);
      }
    }
    this.cur = cur;
    this.inNum = inNum;
    return i;
  }

  /** The tree read so far, or null when it has no entries. */
  tree(): TraceTree | null {
    if (this.ids.length === 0) return null;
    return {
      id: Uint32Array.from(this.ids.result()),
      functionInfo: Uint32Array.from(this.fn.result()),
      parent: Uint32Array.from(this.parent.result()),
      length: this.ids.length,
    };
  }
}

/**
 * The `locations` numbers with each object_index (an index into `nodes`) turned into a node
 * ordinal, in place; null when the section is absent or empty or the header names no fields.
 */
export function locationsToOrdinals(loc: Float64Array | Uint32Array | undefined, meta: SnapshotMeta, fail: Fail): Uint32Array | null {
  const lf = meta.locationFields.length;
  if (!loc || loc.length === 0 || lf === 0) return null;
  const N = meta.nodeCount;
  const nf = meta.nodeFields.length;
  // The section was read as 32-bit numbers: convert object indexes to ordinals in place.
  const locations = loc instanceof Uint32Array ? loc : Uint32Array.from(loc);
  const objField = Math.max(0, meta.locationFields.indexOf('object_index'));
  for (let k = objField; k < locations.length; k += lf) {
    const v = locations[k]! / nf;
    if (v >= N || v !== Math.floor(v)) fail(`location ${Math.floor(k / lf)} points to no node`, -1);
    locations[k] = v;
  }
  return locations;
}
