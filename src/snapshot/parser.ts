/**
 * A push parser for the .heapsnapshot JSON format: bytes in, typed arrays out.
 *
 * Why not JSON.parse: a 1.1 GB snapshot holds 245 M numbers; as JS values that is gigabytes, and
 * V8's longest string is 0x1fffffe8 characters, so neither the file nor a strings section past
 * 512 MiB can ever be one JS string. This parser decodes digits straight into typed arrays that
 * are allocated once from `node_count` / `edge_count`, and builds each string of the `strings`
 * section on its own.
 */
import { ExitCode, SnapshotFormatError } from '../errors.js';
import { readMeta, typeIds, type SnapshotMeta, type TypeIds } from './meta.js';
import { StringTableBuilder, type StringTable } from './strings.js';
import { newScanState, resetScanState, scanNumbers, scanProblem, storeEdges, warmUpScanner, type ScanState } from './scan.js';

/** Progress sink: `phase` names the step, `done` of `total` units (0 total when unknown). */
export type ProgressCallback = (phase: string, done: number, total: number) => void;

/** The allocation-tracking tree (`trace_tree`), flattened: one entry per trace node. */
export interface TraceTree {
  /** Trace node id, as `trace_node_id` of a heap node refers to it. */
  readonly id: Uint32Array;
  /** Index into `trace_function_infos` records. */
  readonly functionInfo: Uint32Array;
  /** Index of the parent entry, or 0xFFFFFFFF for a top-level entry. */
  readonly parent: Uint32Array;
  /** Number of entries. */
  readonly length: number;
}

/** Everything a snapshot file holds, in typed arrays; node and edge references are ordinals. */
export interface RawSnapshot {
  /** The header's field layout and type names. */
  readonly meta: SnapshotMeta;
  /** Type ids looked up once. */
  readonly types: TypeIds;
  /** Number of nodes. */
  readonly nodeCount: number;
  /** Number of edges. */
  readonly edgeCount: number;
  /** Node type id per node. */
  readonly nodeType: Uint8Array;
  /** Name string index per node. */
  readonly nodeName: Uint32Array;
  /** V8 object id per node. */
  readonly nodeId: Uint32Array;
  /** Self sizes; a Float64Array only if some size does not fit 32 bits. */
  readonly nodeSelfSize: Uint32Array | Float64Array;
  /** `trace_node_id` per node, or null when every one is 0 (allocation tracking was off). */
  readonly nodeTraceId: Uint32Array | null;
  /** `detachedness` per node, or null when the snapshot has no such field or all are 0. */
  readonly nodeDetachedness: Uint8Array | null;
  /** First-edge prefix sums: node i owns edges firstEdge[i] .. firstEdge[i+1]-1. Length nodeCount+1. */
  readonly firstEdge: Uint32Array;
  /** Edge type id per edge. */
  readonly edgeType: Uint8Array;
  /** String index, or the element/hidden index for element and hidden edges. */
  readonly edgeName: Uint32Array;
  /** Target node ordinal. */
  readonly edgeTo: Uint32Array;
  /** The string table. */
  readonly strings: StringTable;
  /** Flat `trace_function_infos` numbers, or null when absent/empty. */
  readonly traceFunctionInfos: Float64Array | null;
  /** The allocation trace tree, or null. */
  readonly traceTree: TraceTree | null;
  /** Flat `locations` numbers (object_index is converted to an ordinal), or null. */
  readonly locations: Uint32Array | null;
}

const enum S {
  Start,
  Key,
  KeyString,
  Colon,
  ValueStart,
  Nodes,
  Edges,
  Strings,
  Numbers,
  Nested,
  Capture,
  Done,
}

const NONE = 0xffffffff;



/** Growable array of doubles for the small optional sections. */
class Growable {
  data: Float64Array | Uint32Array | Uint16Array;
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
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  append(values: Float64Array): void {
    if (this.length + values.length > this.data.length) this.grow(this.length + values.length);
    this.data.set(values, this.length);
    this.length += values.length;
  }
  result(): Float64Array | Uint32Array | Uint16Array {
    return this.data.subarray(0, this.length);
  }
}

/** Returned by storeNodes when a self size needs 64-bit storage. */
const BIG_SIZE = -2;

/** Splits whole node records of `scratch` into the field arrays; returns the first bad ordinal, BIG_SIZE, or -1. */
function storeNodes(
  scratch: Float64Array,
  records: number,
  nf: number,
  o: { type: number; name: number; id: number; size: number; edges: number },
  typeCount: number,
  ord: number,
  nodeType: Uint8Array,
  nodeName: Uint32Array,
  nodeId: Uint32Array,
  selfSize: Uint32Array | Float64Array,
  firstEdge: Uint32Array,
): number {
  const oType = o.type;
  const oName = o.name;
  const oId = o.id;
  const oSize = o.size;
  const oEdges = o.edges;
  const maxSize = selfSize instanceof Uint32Array ? 0xffffffff : Number.MAX_SAFE_INTEGER;
  for (let k = 0, r = 0; r < records; r++, k += nf, ord++) {
    const t = scratch[k + oType]!;
    const name = scratch[k + oName]!;
    const id = scratch[k + oId]!;
    const size = scratch[k + oSize]!;
    if (t >= typeCount || name > 0xffffffff || id > 0xffffffff) return ord;
    if (size > maxSize) return BIG_SIZE;
    nodeType[ord] = t;
    nodeName[ord] = name;
    nodeId[ord] = id;
    selfSize[ord] = size;
    firstEdge[ord + 1] = firstEdge[ord]! + scratch[k + oEdges]!;
  }
  return -1;
}

/**
 * True if one field of the records is ever non-zero. A plain function, like the other loops here:
 * inside the method that calls it, the loop ran unoptimised whenever V8 deoptimised that method.
 */
function anyNonZero(scratch: Float64Array, records: number, stride: number, offset: number): boolean {
  for (let k = offset, r = 0; r < records; r++, k += stride) if (scratch[k] !== 0) return true;
  return false;
}

/** Copies one field of whole records into `out`; returns true if any value is non-zero. */
function storeField(scratch: Float64Array, records: number, stride: number, offset: number, ord: number, out: Uint32Array | Uint8Array): boolean {
  let any = 0;
  for (let k = offset, r = 0; r < records; r++, k += stride, ord++) {
    const v = scratch[k]!;
    out[ord] = v;
    any |= v === 0 ? 0 : 1;
  }
  return any !== 0;
}

/**
 * Finds the end of a string without escapes: the index of the closing quote, or -1 when a
 * backslash comes first or the chunk ends. A JS loop, because most strings are a few bytes long
 * and a native indexOf call per string costs more than the scan.
 */
function plainStringEnd(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x22) return i;
    if (c === 0x5c) return -1;
  }
  return -1;
}

/** The first index whose value is at least `limit`, or -1. */
function firstAtLeast(values: Uint32Array, limit: number): number {
  // Branch-free maximum first: the common case (no bad value) is one tight pass.
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (max < limit) return -1;
  for (let i = 0; i < values.length; i++) if (values[i]! >= limit) return i;
  return -1;
}

/** The first edge whose name is a string index (not an element or hidden index) past `count`, or -1. */
function firstBadEdgeName(edgeType: Uint8Array, edgeName: Uint32Array, elem: number, hidden: number, count: number): number {
  let max = 0;
  for (let e = 0; e < edgeName.length; e++) {
    const t = edgeType[e];
    const n = t === elem || t === hidden ? 0 : edgeName[e]!;
    max = Math.max(max, n);
  }
  if (max < count) return -1;
  for (let e = 0; e < edgeName.length; e++) {
    const t = edgeType[e];
    if (t !== elem && t !== hidden && edgeName[e]! >= count) return e;
  }
  return -1;
}

/**
 * How many 32-bit values to reserve for a section with `bytesLeft` bytes left at most, each value
 * taking at least `minBytes`; 0 (grow as needed) when that is under 32 MiB. A big reservation is a
 * fresh mapping whose untouched pages cost nothing; a smaller one may come from malloc's heap,
 * which clears it all at once (seen: 5,500 extra page faults on a 25 MB file).
 */
function reservation(bytesLeft: number, minBytes: number): number {
  const n = Math.ceil(Math.max(0, bytesLeft) / minBytes) + 1;
  return n * 4 >= 32 * 1024 * 1024 ? n : 0;
}

let warmedUp = false;

/**
 * Runs the hot functions once on tiny inputs that take every branch (a number split across
 * chunks, whitespace, the closing bracket), so that V8 has type feedback for all of them before
 * it optimises the loops mid-run. Without this the optimised code is thrown away at the first
 * rare branch of each chunk (seen with --trace-deopt: a dozen deopts per file).
 */
function warmUp(): void {
  if (warmedUp) return;
  warmedUp = true;
  warmUpScanner();
  const scratch = new Float64Array(64);
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 14; k++) scratch[k] = k % 3;
    const o = { type: 0, name: 1, id: 2, size: 3, edges: 4 };
    storeNodes(scratch, 2, 7, o, 16, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(3));
    storeNodes(scratch, 2, 7, o, 0, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(3));
    storeField(scratch, 2, 7, 5, 0, new Uint32Array(2));
    storeField(scratch, 2, 7, 6, 0, new Uint8Array(2));
    plainStringEnd(Buffer.from('ab"'), 0, 3);
    plainStringEnd(Buffer.from('a\\b"'), 0, 4);
    plainStringEnd(Buffer.from('ab'), 0, 2);
  }
}

/** The edge arrays a worker may fill. */
export interface EdgeArrays {
  /** Edge type ids. */
  readonly edgeType: Uint8Array;
  /** Name string index or element index. */
  readonly edgeName: Uint32Array;
  /** Target ordinals. */
  readonly edgeTo: Uint32Array;
}

/** Options of {@link SnapshotParser}. */
export interface ParserOptions {
  /** Names the input in error messages (a file path, "pid 1234"). */
  readonly source: string;
  /** Total input size in bytes when known: enables progress totals and early sanity checks. */
  readonly totalBytes?: number;
  readonly onProgress?: ProgressCallback | undefined;
  /** Allocate the node and edge arrays on SharedArrayBuffers, so a worker thread can fill part of them. */
  readonly sharedArrays?: boolean;
}

/**
 * Streams a .heapsnapshot: call {@link SnapshotParser.write} with each chunk in order, then
 * {@link SnapshotParser.finish}. Throws {@link SnapshotFormatError} with the byte offset on bad input.
 */
export class SnapshotParser {
  private readonly source: string;
  private readonly totalBytes: number;
  private readonly onProgress: ProgressCallback | undefined;
  private readonly sharedArrays: boolean;
  private nodesStartOffset = -1;
  private state = S.Start;
  private base = 0; // bytes consumed before the current chunk
  private key = '';
  private keyBytes: number[] = [];
  private seen = new Set<string>();

  // Capture of a small JSON value (the `snapshot` header, unknown keys we skip).
  private captureParts: Buffer[] = [];
  private captureStart = 0;
  private captureDepth = 0;
  private captureInString = false;
  private captureEscape = false;
  private captureKeep = false;
  private captureBytes = 0;

  // Number decoding state shared by the numeric sections.
  private cur = 0;
  private inNum = false;
  private afterNum = false;
  private scan: ScanState = newScanState();
  // Numbers decoded but not yet stored. 512 KB: small enough to stay in the CPU's cache between
  // decoding and storing, and to cost no page faults; a chunk is decoded in several rounds.
  private scratch = new Float64Array(1 << 16);
  private nodeOffsets: { type: number; name: number; id: number; size: number; edges: number; trace: number; detachedness: number } | undefined;
  private ord = 0;

  private meta: SnapshotMeta | undefined;
  private types: TypeIds | undefined;
  private nodeType: Uint8Array = new Uint8Array(0);
  private nodeName: Uint32Array = new Uint32Array(0);
  private nodeId: Uint32Array = new Uint32Array(0);
  private nodeSelfSize: Uint32Array | Float64Array = new Uint32Array(0);
  private nodeTraceId: Uint32Array | null = null;
  private nodeDetachedness: Uint8Array | null = null;
  private firstEdge: Uint32Array = new Uint32Array(1);
  private edgeType: Uint8Array = new Uint8Array(0);
  private edgeName: Uint32Array = new Uint32Array(0);
  private edgeTo: Uint32Array = new Uint32Array(0);
  private anyTrace = false;
  // Edges split with another thread (see skipEdgeTail): where its share ends, and how many
  // records this parser stored before it.
  private tailPending = false;
  private tailAt = 0;
  private headOrd = 0;
  private anyDetached = false;
  private nodesDone = false;
  private edgesDone = false;

  // Strings.
  private strings = new StringTableBuilder();
  private stringsDone = false;
  private inString = false;
  private stringParts: Buffer[] = [];
  private stringEscaped = false;
  private stringPendingBackslash = false;

  // Optional sections.
  private numbersTarget: Growable | null = null;
  private numbersKey = '';
  private optional = new Map<string, Float64Array | Uint32Array | Uint16Array>();
  private nestedDepth = 0;
  private traceIds = new Growable();
  private traceFn = new Growable();
  private traceParent = new Growable();
  private traceStack: number[] = [];
  private traceRecord: number[] = [];

  constructor(options: ParserOptions) {
    this.source = options.source;
    this.totalBytes = options.totalBytes ?? 0;
    this.onProgress = options.onProgress;
    this.sharedArrays = options.sharedArrays ?? false;
    warmUp();
  }

  private fail(message: string, at: number, code: 4 | 5 = ExitCode.badSnapshot): never {
    throw new SnapshotFormatError(this.source, message, at, code);
  }

  /** Feeds the next chunk of the file. Strings are taken as latin1 (the format is ASCII). */
  write(chunk: Uint8Array | string): void {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'latin1')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    const end = buf.length;
    while (i < end) {
      switch (this.state) {
        case S.Start:
          i = this.skipWs(buf, i, end);
          if (i < end) {
            if (buf[i] !== 0x7b) this.fail('not a heap snapshot: expected "{" at the start', this.base + i);
            i++;
            this.state = S.Key;
          }
          break;
        case S.Key: {
          i = this.skipWs(buf, i, end);
          if (i >= end) break;
          const c = buf[i]!;
          if (c === 0x2c) {
            i++;
          } else if (c === 0x22) {
            i++;
            this.keyBytes.length = 0;
            this.state = S.KeyString;
          } else if (c === 0x7d) {
            i++;
            this.state = S.Done;
          } else {
            this.fail(`unexpected byte '${String.fromCharCode(c)}' where a key was expected`, this.base + i);
          }
          break;
        }
        case S.KeyString:
          while (i < end && buf[i] !== 0x22) {
            if (this.keyBytes.length > 256) this.fail('a top-level key longer than 256 bytes', this.base + i);
            this.keyBytes.push(buf[i]!);
            i++;
          }
          if (i < end) {
            i++;
            this.key = String.fromCharCode(...this.keyBytes);
            if (this.seen.has(this.key)) this.fail(`key "${this.key}" appears twice`, this.base + i);
            this.seen.add(this.key);
            this.state = S.Colon;
          }
          break;
        case S.Colon:
          i = this.skipWs(buf, i, end);
          if (i < end) {
            if (buf[i] !== 0x3a) this.fail('expected ":" after a key', this.base + i);
            i++;
            this.state = S.ValueStart;
          }
          break;
        case S.ValueStart:
          i = this.skipWs(buf, i, end);
          if (i < end) i = this.startValue(buf, i);
          break;
        case S.Nodes:
          i = this.decodeNodes(buf, i, end);
          break;
        case S.Edges:
          i = this.decodeEdges(buf, i, end);
          break;
        case S.Strings:
          i = this.decodeStrings(buf, i, end);
          break;
        case S.Numbers:
          i = this.decodeFlat(buf, i, end);
          break;
        case S.Nested:
          i = this.decodeNested(buf, i, end);
          break;
        case S.Capture:
          i = this.capture(buf, i, end);
          break;
        case S.Done:
          i = this.skipWs(buf, i, end);
          if (i < end) this.fail('unexpected data after the end of the snapshot', this.base + i);
          break;
      }
    }
    this.base += end;
    this.onProgress?.('parse', this.base, this.totalBytes);
  }

  private skipWs(buf: Buffer, i: number, end: number): number {
    while (i < end) {
      const c = buf[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    return i;
  }

  private startValue(buf: Buffer, i: number): number {
    const c = buf[i]!;
    const key = this.key;
    const at = this.base + i;
    const expectArray = () => {
      if (c !== 0x5b) this.fail(`"${key}" is not an array`, at);
    };
    if (key === 'snapshot') {
      if (c !== 0x7b) this.fail('"snapshot" is not an object', at);
      this.beginCapture(true, at);
      return i;
    }
    if (key === 'nodes' || key === 'edges') {
      expectArray();
      if (!this.meta) this.fail(`"${key}" comes before "snapshot": cannot know its layout`, at);
      this.startNumbers();
      this.state = key === 'nodes' ? S.Nodes : S.Edges;
      if (key === 'nodes') this.nodesStartOffset = this.base + i + 1;
      return i + 1;
    }
    if (key === 'strings') {
      expectArray();
      // Each string takes at least three bytes (`"",`): the rest of the input bounds the count.
      if (this.totalBytes > 0) this.strings.reserve(reservation(this.totalBytes - at, 3));
      this.state = S.Strings;
      this.inString = false;
      return i + 1;
    }
    if (key === 'trace_function_infos' || key === 'samples' || key === 'locations') {
      expectArray();
      this.startNumbers();
      this.numbersTarget = new Growable(key === 'locations');
      // Each number takes at least two bytes: the rest of the input bounds the count.
      if (key === 'locations' && this.totalBytes > 0) this.numbersTarget.reserve(reservation(this.totalBytes - at, 2));
      this.numbersKey = key;
      this.state = S.Numbers;
      return i + 1;
    }
    if (key === 'trace_tree') {
      expectArray();
      this.nestedDepth = 1;
      this.cur = 0;
      this.inNum = false;
      this.traceStack = [NONE];
      this.traceRecord = [];
      this.state = S.Nested;
      return i + 1;
    }
    // Unknown key: skip its value whatever it is.
    this.beginCapture(false, at);
    return i;
  }

  private beginCapture(keep: boolean, at: number): void {
    this.captureParts = [];
    this.captureDepth = 0;
    this.captureInString = false;
    this.captureEscape = false;
    this.captureKeep = keep;
    this.captureStart = at;
    this.captureBytes = 0;
    this.state = S.Capture;
  }

  /** Reads a JSON value by bracket counting; keeps its bytes only when asked (the header). */
  private capture(buf: Buffer, i: number, end: number): number {
    const start = i;
    let depth = this.captureDepth;
    let inStr = this.captureInString;
    let esc = this.captureEscape;
    let finished = false;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === 0x5c) esc = true;
        else if (c === 0x22) inStr = false;
        continue;
      }
      if (depth === 0 && (c === 0x2c || c === 0x7d)) {
        finished = true; // a scalar value ended; the separator is left for the key state
        break;
      }
      if (c === 0x22) inStr = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          i++;
          finished = true;
          break;
        }
        if (depth < 0) this.fail('unbalanced brackets', this.base + i);
      }
    }
    this.captureDepth = depth;
    this.captureInString = inStr;
    this.captureEscape = esc;
    if (this.captureKeep) {
      this.captureBytes += i - start;
      // The header is a few kilobytes; refuse to buffer something absurd.
      if (this.captureBytes > 64 * 1024 * 1024) this.fail('"snapshot" header is larger than 64 MiB', this.captureStart);
      this.captureParts.push(Buffer.from(buf.subarray(start, i)));
    }
    if (finished) {
      if (this.captureKeep) this.readHeader(Buffer.concat(this.captureParts).toString('utf8'));
      this.captureParts = [];
      this.state = S.Key;
    }
    return i;
  }

  private readHeader(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.fail('"snapshot" header is not valid JSON', this.captureStart);
    }
    const meta = readMeta(this.source, parsed, this.captureStart);
    const nf = meta.nodeFields.length;
    const ef = meta.edgeFields.length;
    const N = meta.nodeCount;
    const E = meta.edgeCount;
    // Each number needs at least one digit and one separator.
    const minBytes = 2 * (N * nf + E * ef);
    if (this.totalBytes > 0 && minBytes > this.totalBytes) {
      this.fail(
        `header announces ${N} nodes and ${E} edges, which need at least ${minBytes} bytes, but the input has ${this.totalBytes}`,
        this.captureStart,
      );
    }
    // Ordinals are stored in 32 bits, with the top two bits used as flags in the retainer lists.
    if (N >= 2 ** 30 || E >= 2 ** 32 - 1) {
      this.fail(`header announces ${N} nodes and ${E} edges, more than heapy can index`, this.captureStart, ExitCode.tooLarge);
    }
    if (meta.rootOrdinal >= N && N > 0) this.fail('"root_index" is past the last node', this.captureStart);
    this.meta = meta;
    this.types = typeIds(meta);
    const nfl = meta.nodeFields;
    this.nodeOffsets = {
      type: nfl.indexOf('type'),
      name: nfl.indexOf('name'),
      id: nfl.indexOf('id'),
      size: nfl.indexOf('self_size'),
      edges: nfl.indexOf('edge_count'),
      trace: nfl.indexOf('trace_node_id'),
      detachedness: nfl.indexOf('detachedness'),
    };
    try {
      const u8 = (n: number): Uint8Array => (this.sharedArrays ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
      const u32 = (n: number): Uint32Array => (this.sharedArrays ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n));
      this.nodeType = u8(N);
      this.nodeName = u32(N);
      this.nodeId = u32(N);
      this.nodeSelfSize = u32(N);
      this.firstEdge = u32(N + 1);
      if (meta.nodeFields.includes('detachedness')) this.nodeDetachedness = u8(N);
      this.edgeType = u8(E);
      this.edgeName = u32(E);
      this.edgeTo = u32(E);
    } catch (err) {
      if (err instanceof RangeError) {
        this.fail(`header announces ${N} nodes and ${E} edges: cannot allocate memory for them`, this.captureStart, ExitCode.tooLarge);
      }
      throw err;
    }
  }

  /** Runs {@link scanNumbers} over the chunk and turns a problem it found into an error. */
  private decodeNumbers(buf: Buffer, i: number, end: number): number {
    const st = this.scan;
    st.i = i;
    scanNumbers(buf, end, this.scratch, st);
    if (st.error !== 0) this.fail(scanProblem(st.error, `"${this.key}"`, buf[st.errorAt] ?? 0), this.base + st.errorAt);
    return st.i;
  }

  private startNumbers(): void {
    resetScanState(this.scan, false);
    this.ord = 0;
  }

  private decodeNodes(buf: Buffer, i: number, end: number): number {
    i = this.decodeNumbers(buf, i, end);
    this.flushNodes(this.base + i);
    if (this.scan.ended) {
      const N = this.meta!.nodeCount;
      if (this.scan.n !== 0 || this.ord !== N) {
        this.fail(`"nodes" holds ${this.ord} nodes${this.scan.n ? ' and a partial one' : ''} but node_count says ${N}`, this.base + i - 1);
      }
      if (this.firstEdge[N] !== this.meta!.edgeCount) {
        this.fail(`nodes own ${this.firstEdge[N]} edges in all but edge_count says ${this.meta!.edgeCount}`, this.base + i - 1);
      }
      this.nodesDone = true;
      this.state = S.Key;
    }
    return i;
  }

  /** Moves the whole node records of `scratch` into the per-field arrays. */
  private flushNodes(at: number): void {
    const f = this.meta!.nodeFields;
    const nf = f.length;
    const n = this.scan.n;
    const records = Math.floor(n / nf);
    if (records === 0) return;
    const N = this.meta!.nodeCount;
    const ord = this.ord;
    if (ord + records > N) this.fail(`"nodes" holds more than node_count (${N}) nodes`, at);
    const scratch = this.scratch;
    const o = this.nodeOffsets!;
    let bad = storeNodes(scratch, records, nf, o, this.meta!.nodeTypes.length, ord, this.nodeType, this.nodeName, this.nodeId, this.nodeSelfSize, this.firstEdge);
    if (bad === BIG_SIZE && this.nodeSelfSize instanceof Uint32Array) {
      // Sizes past 32 bits are rare (huge external buffers): switch to doubles when one appears.
      this.nodeSelfSize = Float64Array.from(this.nodeSelfSize);
      bad = storeNodes(scratch, records, nf, o, this.meta!.nodeTypes.length, ord, this.nodeType, this.nodeName, this.nodeId, this.nodeSelfSize, this.firstEdge);
    }
    if (bad !== -1) this.fail(`node ${bad} has a type, name or id out of range`, at);
    if (o.trace >= 0) {
      // Trace ids are all 0 unless allocation tracking was on: allocate only when one is not.
      if (!this.nodeTraceId && anyNonZero(scratch, records, nf, o.trace)) this.nodeTraceId = new Uint32Array(this.meta!.nodeCount);
      if (this.nodeTraceId && storeField(scratch, records, nf, o.trace, ord, this.nodeTraceId)) this.anyTrace = true;
    }
    if (this.nodeDetachedness && o.detachedness >= 0 && storeField(scratch, records, nf, o.detachedness, ord, this.nodeDetachedness)) {
      this.anyDetached = true;
    }
    this.ord = ord + records;
    const used = records * nf;
    scratch.copyWithin(0, used, n);
    this.scan.n = n - used;
  }

  private decodeEdges(buf: Buffer, i: number, end: number): number {
    i = this.decodeNumbers(buf, i, end);
    this.flushEdges(this.base + i);
    if (this.scan.ended && this.tailPending) {
      // Only the closing bracket was left: the worker has the records before it.
      if (this.scan.n !== 0) this.fail('the two halves of "edges" do not meet at a record boundary', this.base + i - 1);
      this.headOrd = this.ord;
      this.edgesDone = true;
      this.state = S.Key;
    } else if (this.scan.ended) {
      const E = this.meta!.edgeCount;
      if (this.scan.n !== 0 || this.ord !== E) {
        this.fail(`"edges" holds ${this.ord} edges${this.scan.n ? ' and a partial one' : ''} but edge_count says ${E}`, this.base + i - 1);
      }
      this.edgesDone = true;
      this.state = S.Key;
    }
    return i;
  }

  /** Moves the whole edge records of `scratch` into the edge arrays; `to_node` becomes an ordinal. */
  private flushEdges(at: number): void {
    const f = this.meta!.edgeFields;
    const ef = f.length;
    const nf = this.meta!.nodeFields.length;
    const n = this.scan.n;
    const records = Math.floor(n / ef);
    if (records === 0) return;
    const E = this.meta!.edgeCount;
    const ord = this.ord;
    if (ord + records > E) this.fail(`"edges" holds more than edge_count (${E}) edges`, at);
    const scratch = this.scratch;
    const bad = storeEdges(
      scratch,
      records,
      ef,
      nf,
      f.indexOf('type'),
      f.indexOf('name_or_index'),
      f.indexOf('to_node'),
      this.meta!.edgeTypes.length,
      this.meta!.nodeCount * nf,
      ord,
      this.edgeType,
      this.edgeName,
      this.edgeTo,
    );
    if (bad >= 0) this.fail(`edge ${bad} has a type, name or target out of range`, at);
    this.ord = ord + records;
    const used = records * ef;
    scratch.copyWithin(0, used, n);
    this.scan.n = n - used;
  }

  /** Decodes the `strings` array one string at a time; never joins the section into one string. */
  private decodeStrings(buf: Buffer, i: number, end: number): number {
    // Keep this chunk's part of the section; plain strings are recorded as ranges in it.
    const pieceStart = i;
    this.strings.addPiece(buf.subarray(i, end));
    while (i < end) {
      if (this.inString) {
        i = this.continueString(buf, i, end);
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
        this.stringParts = [];
        this.stringEscaped = false;
        this.stringPendingBackslash = false;
        continue;
      }
      if (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
        continue;
      }
      if (c === 0x5d) {
        this.stringsDone = true;
        this.state = S.Key;
        return i + 1;
      }
      this.fail(`unexpected byte '${String.fromCharCode(c)}' in "strings"`, this.base + i);
    }
    return i;
  }

  /** Slow path for strings with escapes or split across chunks: collect the raw bytes, then decode. */
  private continueString(buf: Buffer, i: number, end: number): number {
    const start = i;
    let pending = this.stringPendingBackslash;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (pending) {
        pending = false;
        continue;
      }
      if (c === 0x5c) {
        pending = true;
        this.stringEscaped = true;
      } else if (c === 0x22) {
        break;
      }
    }
    this.stringPendingBackslash = pending;
    this.stringParts.push(Buffer.from(buf.subarray(start, i)));
    if (i < end) {
      const raw = Buffer.concat(this.stringParts);
      this.stringParts = [];
      this.inString = false;
      if (this.stringEscaped) {
        try {
          this.strings.addDecoded(JSON.parse('"' + raw.toString('utf8') + '"') as string);
        } catch {
          this.fail('a bad escape sequence in "strings"', this.base + start);
        }
      } else {
        this.strings.addDecoded(raw.toString('utf8'));
      }
      return i + 1;
    }
    return i;
  }

  /** Flat arrays of plain numbers (`trace_function_infos`, `samples`, `locations`). */
  private decodeFlat(buf: Buffer, i: number, end: number): number {
    i = this.decodeNumbers(buf, i, end);
    const target = this.numbersTarget!;
    target.append(this.scratch.subarray(0, this.scan.n));
    this.scan.n = 0;
    if (this.scan.ended) {
      this.optional.set(this.numbersKey, target.result());
      this.numbersTarget = null;
      this.state = S.Key;
    }
    return i;
  }

  /**
   * `trace_tree` nests: [id, function_info_index, count, size, [children...], id, ...].
   * Each record's numbers come first, then its children array one level deeper.
   */
  private decodeNested(buf: Buffer, i: number, end: number): number {
    const perRecord = Math.max(1, (this.meta?.traceNodeFields.length ?? 5) - 1);
    let cur = this.cur;
    let inNum = this.inNum;
    const flush = () => {
      if (!inNum) return;
      this.traceRecord.push(cur);
      cur = 0;
      inNum = false;
      if (this.traceRecord.length === perRecord) {
        const index = this.traceIds.length;
        this.traceIds.push(this.traceRecord[0]!);
        this.traceFn.push(this.traceRecord[1] ?? 0);
        this.traceParent.push(this.traceStack[this.nestedDepth - 1] ?? NONE);
        this.traceStack[this.nestedDepth] = index;
        this.traceRecord = [];
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
        this.nestedDepth++;
        if (this.nestedDepth > 100000) this.fail('"trace_tree" nests too deep', this.base + i);
      } else if (c === 0x5d) {
        flush();
        this.nestedDepth--;
        if (this.nestedDepth === 0) {
          this.state = S.Key;
          i++;
          break;
        }
      } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.fail(`unexpected byte '${String.fromCharCode(c)}' in "trace_tree"`, this.base + i);
      }
    }
    this.cur = cur;
    this.inNum = inNum;
    return i;
  }

  /** Byte offset just after `"nodes":[`, or -1 before the parser gets there. */
  get nodesStart(): number {
    return this.nodesStartOffset;
  }

  /** The header, once parsed. */
  get header(): SnapshotMeta | undefined {
    return this.meta;
  }

  /** True while the parser is inside the `edges` array. */
  get inEdges(): boolean {
    return this.state === S.Edges;
  }

  /** The edge arrays, for a worker that fills the tail of them (see edge-worker.ts). */
  get edgeArrays(): EdgeArrays {
    return { edgeType: this.edgeType, edgeName: this.edgeName, edgeTo: this.edgeTo };
  }

  /**
   * Declares that the rest of the edges, up to byte `resumeAt` (the closing bracket of "edges"),
   * are another thread's: the parser must have just consumed a whole record, and the next write()
   * must start at `resumeAt`. Call {@link tailDecoded} with their count before finish().
   */
  skipEdgeTail(resumeAt: number): void {
    if (this.state !== S.Edges) this.fail('internal: skipEdgeTail outside "edges"', this.base);
    this.flushEdges(this.base);
    if (this.scan.n !== 0 || this.scan.inNum || !this.scan.afterNum) {
      this.fail('the two halves of "edges" do not meet at a record boundary', this.base);
    }
    this.tailPending = true;
    this.tailAt = resumeAt;
    this.base = resumeAt;
  }

  /** The other thread stored `records` edges after the ones this parser stored. */
  tailDecoded(records: number): void {
    if (!this.tailPending) this.fail('internal: tailDecoded without skipEdgeTail', this.base);
    const E = this.meta!.edgeCount;
    if (this.headOrd + records !== E) {
      this.fail(`"edges" holds ${this.headOrd + records} edges but edge_count says ${E}`, this.tailAt);
    }
    this.tailPending = false;
  }

  /** Ends the input: checks that every section arrived whole and returns the typed arrays. */
  finish(): RawSnapshot {
    const at = this.base;
    if (this.state !== S.Done) {
      if (this.state === S.Start && this.base === 0) this.fail('empty input, not a heap snapshot', 0);
      this.fail(`truncated: input ended inside ${this.key ? `"${this.key}"` : 'the header'}`, at);
    }
    if (!this.meta || !this.types) return this.fail('no "snapshot" header', at);
    if (!this.nodesDone) this.fail('no "nodes" section', at);
    if (!this.edgesDone) this.fail('no "edges" section', at);
    if (this.tailPending) this.fail('internal: the other thread\'s edges were never counted', at);
    if (!this.stringsDone) this.fail('no "strings" section', at);
    const meta = this.meta;
    const N = meta.nodeCount;
    const E = meta.edgeCount;
    const strings = this.strings.finish();
    const stringCount = strings.length;
    const nodeName = this.nodeName;
    const badNode = firstAtLeast(nodeName, stringCount);
    if (badNode >= 0) this.fail(`node ${badNode} names string ${nodeName[badNode]}, past the ${stringCount} strings`, -1);
    const edgeName = this.edgeName;
    const badEdge = firstBadEdgeName(this.edgeType, edgeName, this.types.edgeElement, this.types.edgeHidden, stringCount);
    if (badEdge >= 0) this.fail(`edge ${badEdge} names string ${edgeName[badEdge]}, past the ${stringCount} strings`, -1);
    const edgeType = this.edgeType;
    let traceTree: TraceTree | null = null;
    if (this.traceIds.length > 0) {
      traceTree = {
        id: Uint32Array.from(this.traceIds.result()),
        functionInfo: Uint32Array.from(this.traceFn.result()),
        parent: Uint32Array.from(this.traceParent.result()),
        length: this.traceIds.length,
      };
    }
    const tfi = this.optional.get('trace_function_infos');
    let locations: Uint32Array | null = null;
    const loc = this.optional.get('locations');
    this.optional.delete('locations');
    const lf = meta.locationFields.length;
    if (loc && loc.length > 0 && lf > 0) {
      const nf = meta.nodeFields.length;
      // The section was read as 32-bit numbers: convert object indexes to ordinals in place.
      locations = loc instanceof Uint32Array ? loc : Uint32Array.from(loc);
      const objField = Math.max(0, meta.locationFields.indexOf('object_index'));
      for (let k = objField; k < locations.length; k += lf) {
        const v = locations[k]! / nf;
        if (v >= N || v !== Math.floor(v)) this.fail(`location ${Math.floor(k / lf)} points to no node`, -1);
        locations[k] = v;
      }
    }
    return {
      meta,
      types: this.types,
      nodeCount: N,
      edgeCount: E,
      nodeType: this.nodeType,
      nodeName,
      nodeId: this.nodeId,
      nodeSelfSize: this.nodeSelfSize,
      nodeTraceId: this.anyTrace ? this.nodeTraceId : null,
      nodeDetachedness: this.anyDetached ? this.nodeDetachedness : null,
      firstEdge: this.firstEdge,
      edgeType,
      edgeName,
      edgeTo: this.edgeTo,
      strings,
      traceFunctionInfos: tfi && tfi.length > 0 ? Float64Array.from(tfi) : null,
      traceTree,
      locations,
    };
  }
}
