/**
 * A push parser for the .heapsnapshot JSON format: bytes in, typed arrays out.
 *
 * Why not JSON.parse: a 1.1 GB snapshot holds 245 M numbers; as JS values that is gigabytes, and
 * V8's longest string is 0x1fffffe8 characters, so neither the file nor a strings section past
 * 512 MiB can ever be one JS string. This parser decodes digits straight into typed arrays that
 * are allocated once from `node_count` / `edge_count`, and builds each string of the `strings`
 * section on its own.
 *
 * This file holds the top-level state machine and the two big numeric sections (`nodes`, `edges`);
 * the header is read by header.ts, the strings by strings-section.ts, the small optional sections
 * by optional-sections.ts; scan.ts stores the node records; the final checks end this file.
 */
import { ExitCode, SnapshotFormatError } from '../errors.js';
import type { SnapshotMeta, TypeIds } from './meta.js';
import type { EdgeArrays, Fail, ProgressCallback, RawSnapshot, SectionReader } from './raw.js';
import { allocateColumns, readHeader, ValueCapture, type Columns, type NodeOffsets } from './header.js';
import { StringsSection, warmUpStrings } from './strings-section.js';
import { Growable, locationsToOrdinals, TraceTreeReader } from './optional-sections.js';
import { StringTableBuilder } from './strings.js';
import { anyNonZero, BIG_SIZE, newScanState, nodeRecordProblem, resetScanState, scanNumbers, scanProblem, storeEdges, storeField, storeNodes, warmUpNodeRecords, warmUpScanner, type ScanState } from './scan.js';

// These types used to be declared here: parser.js still exports them for its importers.
export type { EdgeArrays, ProgressCallback, RawSnapshot, TraceTree } from './raw.js';

const enum S {
  // Between tokens, where whitespace may come first: write() skips it for these states at once.
  Start,
  Key,
  Colon,
  ValueStart,
  Done,
  // Inside a key or a value.
  KeyString,
  Nodes,
  Edges,
  Numbers,
  // A reader of its own has the value (header.ts, strings-section.ts, optional-sections.ts).
  Section,
}

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
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
  for (let round = 0; round < 3; round++) {
    warmUpNodeRecords();
    warmUpStrings();
  }
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
  private readonly failAt: Fail = (message, at, code) => this.fail(message, at, code);
  private nodesStartOffset = -1;
  private state = S.Start;
  private base = 0; // bytes consumed before the current chunk
  private key = '';
  private keyBytes: number[] = [];
  private seen = new Set<string>();

  // The reader of the value being read in S.Section: the header, an unknown key's value (skipped),
  // the strings or the trace tree.
  private section: SectionReader | null = null;

  // Number decoding state shared by the numeric sections.
  private scan: ScanState = newScanState();
  // Numbers decoded but not yet stored. 512 KB: small enough to stay in the CPU's cache between
  // decoding and storing, and to cost no page faults; a chunk is decoded in several rounds.
  private scratch = new Float64Array(1 << 16);
  private nodeOffsets: NodeOffsets | undefined;
  private ord = 0;

  private meta: SnapshotMeta | undefined;
  private types: TypeIds | undefined;
  private cols: Columns | undefined;
  private anyTrace = false;
  // Edges split with another thread (see skipEdgeTail): where its share ends, and how many
  // records this parser stored before it.
  private tailPending = false;
  private tailAt = 0;
  private headOrd = 0;
  private anyDetached = false;
  private nodesDone = false;
  private edgesDone = false;

  private strings = new StringTableBuilder();
  private stringsSection: StringsSection | null = null;

  // Optional sections: the flat one being read (null while `samples` is scanned and dropped),
  // the finished ones by key, and the trace tree.
  private numbersTarget: Growable | null = null;
  private numbersKey = '';
  private optional = new Map<string, Float64Array | Uint32Array>();
  private traceTree: TraceTreeReader | null = null;

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
      const state = this.state;
      if (state <= S.Done) {
        i = skipWs(buf, i, end);
        if (i === end) break;
      }
      switch (state) {
        case S.Start:
          if (buf[i] !== 0x7b) this.fail('not a heap snapshot: expected "{" at the start', this.base + i);
          i++;
          this.state = S.Key;
          break;
        case S.Key: {
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
        case S.Colon:
          if (buf[i] !== 0x3a) this.fail('expected ":" after a key', this.base + i);
          i++;
          this.state = S.ValueStart;
          break;
        case S.ValueStart:
          i = this.startValue(buf, i);
          break;
        case S.Done:
          this.fail('unexpected data after the end of the snapshot', this.base + i);
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
        case S.Nodes:
          i = this.decodeNodes(buf, i, end);
          break;
        case S.Edges:
          i = this.decodeEdges(buf, i, end);
          break;
        case S.Numbers:
          i = this.decodeFlat(buf, i, end);
          break;
        case S.Section: {
          const reader = this.section!;
          i = reader.write(buf, i, end, this.base);
          if (reader.done) this.endSection(reader);
          break;
        }
      }
    }
    this.base += end;
    this.onProgress?.('parse', this.base, this.totalBytes);
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
      this.startSection(new ValueCapture(true, at, this.failAt));
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
      this.stringsSection = new StringsSection(this.strings, this.failAt);
      this.startSection(this.stringsSection);
      return i + 1;
    }
    if (key === 'trace_function_infos' || key === 'samples' || key === 'locations') {
      expectArray();
      this.startNumbers();
      // `samples` (allocation tracking's timeline: a timestamp and the last object id) is read by
      // nothing in heapy: its numbers are checked as they pass, then dropped.
      const target = key === 'samples' ? null : new Growable(key === 'locations');
      // Each number takes at least two bytes: the rest of the input bounds the count.
      if (key === 'locations' && this.totalBytes > 0) target!.reserve(reservation(this.totalBytes - at, 2));
      this.numbersTarget = target;
      this.numbersKey = key;
      this.state = S.Numbers;
      return i + 1;
    }
    if (key === 'trace_tree') {
      expectArray();
      this.traceTree = new TraceTreeReader(this.meta, this.failAt);
      this.startSection(this.traceTree);
      return i + 1;
    }
    // Unknown key: skip its value whatever it is.
    this.startSection(new ValueCapture(false, at, this.failAt));
    return i;
  }

  private startSection(reader: SectionReader): void {
    this.section = reader;
    this.state = S.Section;
  }

  private endSection(reader: SectionReader): void {
    if (reader instanceof ValueCapture && reader.keep) this.takeHeader(reader.text(), reader.start);
    this.section = null;
    this.state = S.Key;
  }

  /** Reads the header found at byte `at` and allocates the columns for its counts. */
  private takeHeader(text: string, at: number): void {
    const header = readHeader(this.source, text, at, this.totalBytes, this.failAt);
    this.meta = header.meta;
    this.types = header.types;
    this.nodeOffsets = header.nodeOffsets;
    this.cols = allocateColumns(header.meta, this.sharedArrays, at, this.failAt);
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
      const edges = this.cols!.firstEdge[N];
      if (edges !== this.meta!.edgeCount) {
        this.fail(`nodes own ${edges} edges in all but edge_count says ${this.meta!.edgeCount}`, this.base + i - 1);
      }
      this.nodesDone = true;
      this.state = S.Key;
    }
    return i;
  }

  /**
   * How many whole records of `width` numbers `scratch` holds; fails (naming byte `at`) if they
   * would take the `what` section ("nodes", "edges") past the header's count `limit`.
   */
  private wholeRecords(width: number, limit: number, what: 'nodes' | 'edges', at: number): number {
    const records = Math.floor(this.scan.n / width);
    if (this.ord + records > limit) this.fail(`"${what}" holds more than ${what === 'nodes' ? 'node' : 'edge'}_count (${limit}) ${what}`, at);
    return records;
  }

  /** Counts `records` records of `width` numbers as stored, and keeps only the partial one after them in `scratch`. */
  private dropRecords(records: number, width: number): void {
    this.ord += records;
    const used = records * width;
    this.scratch.copyWithin(0, used, this.scan.n);
    this.scan.n -= used;
  }

  /** Moves the whole node records of `scratch` into the per-field arrays. */
  private flushNodes(at: number): void {
    const nf = this.meta!.nodeFields.length;
    const N = this.meta!.nodeCount;
    const records = this.wholeRecords(nf, N, 'nodes', at);
    if (records === 0) return;
    const ord = this.ord;
    const scratch = this.scratch;
    const o = this.nodeOffsets!;
    const c = this.cols!;
    const types = this.meta!.nodeTypes.length;
    const E = this.meta!.edgeCount;
    let bad = storeNodes(scratch, records, nf, o, types, E, ord, c.nodeType, c.nodeName, c.nodeId, c.nodeSelfSize, c.firstEdge);
    if (bad === BIG_SIZE && c.nodeSelfSize instanceof Uint32Array) {
      // Sizes past 32 bits are rare (huge external buffers): switch to doubles when one appears.
      c.nodeSelfSize = Float64Array.from(c.nodeSelfSize);
      bad = storeNodes(scratch, records, nf, o, types, E, ord, c.nodeType, c.nodeName, c.nodeId, c.nodeSelfSize, c.firstEdge);
    }
    if (bad >= 0) this.fail(nodeRecordProblem(scratch, (bad - ord) * nf, o, types, E, c.firstEdge[bad]!, bad), at);
    if (o.trace >= 0) {
      // Trace ids are all 0 unless allocation tracking was on: allocate only when one is not.
      if (!c.nodeTraceId && anyNonZero(scratch, records, nf, o.trace)) c.nodeTraceId = new Uint32Array(N);
      if (c.nodeTraceId && storeField(scratch, records, nf, o.trace, ord, c.nodeTraceId)) this.anyTrace = true;
    }
    if (c.nodeDetachedness && o.detachedness >= 0 && storeField(scratch, records, nf, o.detachedness, ord, c.nodeDetachedness)) {
      this.anyDetached = true;
    }
    this.dropRecords(records, nf);
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
    const records = this.wholeRecords(ef, this.meta!.edgeCount, 'edges', at);
    if (records === 0) return;
    const c = this.cols!;
    const bad = storeEdges(
      this.scratch,
      records,
      ef,
      nf,
      f.indexOf('type'),
      f.indexOf('name_or_index'),
      f.indexOf('to_node'),
      this.meta!.edgeTypes.length,
      this.meta!.nodeCount * nf,
      this.ord,
      c.edgeType,
      c.edgeName,
      c.edgeTo,
    );
    if (bad >= 0) this.fail(`edge ${bad} has a type, name or target out of range`, at);
    this.dropRecords(records, ef);
  }

  /** Flat arrays of plain numbers (`trace_function_infos`, `samples`, `locations`). */
  private decodeFlat(buf: Buffer, i: number, end: number): number {
    i = this.decodeNumbers(buf, i, end);
    const target = this.numbersTarget;
    target?.append(this.scratch.subarray(0, this.scan.n));
    this.scan.n = 0;
    if (this.scan.ended) {
      if (target) this.optional.set(this.numbersKey, target.result());
      this.numbersTarget = null;
      this.state = S.Key;
    }
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

  /** The edge arrays, for a worker that fills the tail of them (see edge-worker.ts); empty before the header. */
  get edgeArrays(): EdgeArrays {
    const c = this.cols;
    if (!c) return { edgeType: new Uint8Array(0), edgeName: new Uint32Array(0), edgeTo: new Uint32Array(0) };
    return { edgeType: c.edgeType, edgeName: c.edgeName, edgeTo: c.edgeTo };
  }

  /** True inside "edges" right after a whole record and its number's end: where skipEdgeTail may be called. */
  get atEdgeRecord(): boolean {
    const st = this.scan;
    return this.state === S.Edges && st.n % this.meta!.edgeFields.length === 0 && !st.inNum && st.afterNum;
  }

  /**
   * Declares that the rest of the edges, up to byte `resumeAt` (the closing bracket of "edges"),
   * are another thread's: the parser must have just consumed a whole record, and the next write()
   * must start at `resumeAt`. Call {@link tailDecoded} with their count before finish().
   */
  skipEdgeTail(resumeAt: number): void {
    if (this.state !== S.Edges) this.fail('internal: skipEdgeTail outside "edges"', this.base);
    if (!this.atEdgeRecord) this.fail('the two halves of "edges" do not meet at a record boundary', this.base);
    this.flushEdges(this.base);
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
    if (!this.meta || !this.types || !this.cols) return this.fail('no "snapshot" header', at);
    if (!this.nodesDone) this.fail('no "nodes" section', at);
    if (!this.edgesDone) this.fail('no "edges" section', at);
    if (this.tailPending) this.fail('internal: the other thread\'s edges were never counted', at);
    if (!this.stringsDone) this.fail('no "strings" section', at);
    const meta = this.meta;
    const cols = this.cols;
    const strings = this.strings.finish();
    checkNames(cols.nodeName, cols.edgeType, cols.edgeName, this.types, strings.length, this.failAt);
    const traceTree = this.traceTree?.tree() ?? null;
    const tfi = this.optional.get('trace_function_infos');
    const locations = locationsToOrdinals(this.optional.get('locations'), meta, this.failAt);
    this.optional.delete('locations');
    // The arrays belong to the result from here on: a renumbering analysis (renumber.ts) replaces
    // them one by one, and the old ones must not stay reachable from the parser.
    this.cols = undefined;
    return {
      meta,
      types: this.types,
      nodeCount: meta.nodeCount,
      edgeCount: meta.edgeCount,
      ...cols,
      nodeTraceId: this.anyTrace ? cols.nodeTraceId : null,
      nodeDetachedness: this.anyDetached ? cols.nodeDetachedness : null,
      strings,
      traceFunctionInfos: tfi && tfi.length > 0 ? Float64Array.from(tfi) : null,
      traceTree,
      locations,
    };
  }

  private get stringsDone(): boolean {
    return this.stringsSection?.done ?? false;
  }
}

// The checks that can only run once the whole file is read: every name a node or an edge gives
// must be in the string table, which comes after the nodes and edges.

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
 * Fails on the first node name, then the first property-like edge name, past the `stringCount`
 * strings. Element and hidden edges hold an index there, not a string.
 */
export function checkNames(nodeName: Uint32Array, edgeType: Uint8Array, edgeName: Uint32Array, types: TypeIds, stringCount: number, fail: Fail): void {
  const badNode = firstAtLeast(nodeName, stringCount);
  if (badNode >= 0) fail(`node ${badNode} names string ${nodeName[badNode]}, past the ${stringCount} strings`, -1);
  const badEdge = firstBadEdgeName(edgeType, edgeName, types.edgeElement, types.edgeHidden, stringCount);
  if (badEdge >= 0) fail(`edge ${badEdge} names string ${edgeName[badEdge]}, past the ${stringCount} strings`, -1);
}
