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
  readonly meta: SnapshotMeta;
  readonly types: TypeIds;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly nodeType: Uint8Array;
  readonly nodeName: Uint32Array;
  readonly nodeId: Uint32Array;
  /** Self sizes; a Float64Array only if some size does not fit 32 bits. */
  readonly nodeSelfSize: Uint32Array | Float64Array;
  /** `trace_node_id` per node, or null when every one is 0 (allocation tracking was off). */
  readonly nodeTraceId: Uint32Array | null;
  /** `detachedness` per node, or null when the snapshot has no such field or all are 0. */
  readonly nodeDetachedness: Uint8Array | null;
  /** First-edge prefix sums: node i owns edges firstEdge[i] .. firstEdge[i+1]-1. Length nodeCount+1. */
  readonly firstEdge: Uint32Array;
  readonly edgeType: Uint8Array;
  /** String index, or the element/hidden index for element and hidden edges. */
  readonly edgeName: Uint32Array;
  /** Target node ordinal. */
  readonly edgeTo: Uint32Array;
  readonly strings: string[];
  /** Flat `trace_function_infos` numbers, or null when absent/empty. */
  readonly traceFunctionInfos: Float64Array | null;
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
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  result(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Options of {@link SnapshotParser}. */
export interface ParserOptions {
  /** Names the input in error messages (a file path, "pid 1234"). */
  readonly source: string;
  /** Total input size in bytes when known: enables progress totals and early sanity checks. */
  readonly totalBytes?: number;
  readonly onProgress?: ProgressCallback | undefined;
}

/**
 * Streams a .heapsnapshot: call {@link SnapshotParser.write} with each chunk in order, then
 * {@link SnapshotParser.finish}. Throws {@link SnapshotFormatError} with the byte offset on bad input.
 */
export class SnapshotParser {
  private readonly source: string;
  private readonly totalBytes: number;
  private readonly onProgress: ProgressCallback | undefined;
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
  private field = 0;
  private ord = 0;

  private meta: SnapshotMeta | undefined;
  private types: TypeIds | undefined;
  private nodeRole = new Uint8Array(0);
  private edgeRole = new Uint8Array(0);
  private nodeType = new Uint8Array(0);
  private nodeName = new Uint32Array(0);
  private nodeId = new Uint32Array(0);
  private nodeSelfSize: Uint32Array | Float64Array = new Uint32Array(0);
  private nodeTraceId: Uint32Array | null = null;
  private nodeDetachedness: Uint8Array | null = null;
  private firstEdge = new Uint32Array(1);
  private edgeType = new Uint8Array(0);
  private edgeName = new Uint32Array(0);
  private edgeTo = new Uint32Array(0);
  private anyTrace = false;
  private anyDetached = false;
  private nodesDone = false;
  private edgesDone = false;

  // Strings.
  private strings: string[] = [];
  private stringsDone = false;
  private inString = false;
  private stringParts: Buffer[] = [];
  private stringEscaped = false;
  private stringPendingBackslash = false;
  private nextBackslash = -1;

  // Optional sections.
  private numbersTarget: Growable | null = null;
  private numbersKey = '';
  private optional = new Map<string, Float64Array>();
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
    this.nextBackslash = -1;
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
      this.cur = 0;
      this.inNum = false;
      this.field = 0;
      this.ord = 0;
      this.afterNum = false;
      this.state = key === 'nodes' ? S.Nodes : S.Edges;
      return i + 1;
    }
    if (key === 'strings') {
      expectArray();
      this.state = S.Strings;
      this.inString = false;
      return i + 1;
    }
    if (key === 'trace_function_infos' || key === 'samples' || key === 'locations') {
      expectArray();
      this.cur = 0;
      this.inNum = false;
      this.numbersTarget = new Growable();
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
    const roleOf = (fields: readonly string[], names: string[]) => {
      const r = new Uint8Array(fields.length).fill(255);
      fields.forEach((f, k) => {
        const j = names.indexOf(f);
        if (j >= 0) r[k] = j;
      });
      return r;
    };
    this.nodeRole = roleOf(meta.nodeFields, ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness']);
    this.edgeRole = roleOf(meta.edgeFields, ['type', 'name_or_index', 'to_node']);
    try {
      this.nodeType = new Uint8Array(N);
      this.nodeName = new Uint32Array(N);
      this.nodeId = new Uint32Array(N);
      this.nodeSelfSize = new Uint32Array(N);
      this.firstEdge = new Uint32Array(N + 1);
      if (meta.nodeFields.includes('trace_node_id')) this.nodeTraceId = new Uint32Array(N);
      if (meta.nodeFields.includes('detachedness')) this.nodeDetachedness = new Uint8Array(N);
      this.edgeType = new Uint8Array(E);
      this.edgeName = new Uint32Array(E);
      this.edgeTo = new Uint32Array(E);
    } catch (err) {
      if (err instanceof RangeError) {
        this.fail(`header announces ${N} nodes and ${E} edges: cannot allocate memory for them`, this.captureStart, ExitCode.tooLarge);
      }
      throw err;
    }
  }

  /** Hot loop: decodes the `nodes` array straight into the per-field typed arrays. */
  private decodeNodes(buf: Buffer, i: number, end: number): number {
    const nf = this.nodeRole.length;
    const role = this.nodeRole;
    const N = this.meta!.nodeCount;
    const typeCount = this.meta!.nodeTypes.length;
    const nodeType = this.nodeType;
    const nodeName = this.nodeName;
    const nodeId = this.nodeId;
    let selfSize = this.nodeSelfSize;
    const firstEdge = this.firstEdge;
    const trace = this.nodeTraceId;
    const detached = this.nodeDetachedness;
    let cur = this.cur;
    let inNum = this.inNum;
    let field = this.field;
    let ord = this.ord;
    let afterNum = this.afterNum;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        if (!inNum) {
          if (afterNum) this.fail('a missing comma in "nodes"', this.base + i);
          inNum = true;
        }
        cur = cur * 10 + (c - 0x30);
        continue;
      }
      if (inNum) {
        // Any other byte ends the number: store it in its field.
        if (ord >= N) this.fail(`"nodes" holds more than node_count (${N}) nodes`, this.base + i);
        switch (role[field]) {
          case 0:
            if (cur >= typeCount) this.fail(`node ${ord} has type ${cur}, not in meta.node_types`, this.base + i);
            nodeType[ord] = cur;
            break;
          case 1:
            nodeName[ord] = cur;
            break;
          case 2:
            if (cur > 0xffffffff) this.fail(`node ${ord} has an id past 2^32`, this.base + i);
            nodeId[ord] = cur;
            break;
          case 3:
            if (cur > 0xffffffff && selfSize instanceof Uint32Array) {
              selfSize = Float64Array.from(selfSize);
              this.nodeSelfSize = selfSize;
            }
            selfSize[ord] = cur;
            break;
          case 4:
            firstEdge[ord + 1] = firstEdge[ord]! + cur;
            break;
          case 5:
            if (cur !== 0) this.anyTrace = true;
            trace![ord] = cur;
            break;
          case 6:
            if (cur !== 0) this.anyDetached = true;
            detached![ord] = cur;
            break;
        }
        if (++field === nf) {
          field = 0;
          ord++;
        }
        cur = 0;
        inNum = false;
        afterNum = true;
      }
      if (c === 0x2c) {
        if (!afterNum) this.fail('a separator without a number in "nodes"', this.base + i);
        afterNum = false;
        continue;
      }
      if (c === 0x0a || c === 0x20 || c === 0x0d || c === 0x09) continue;
      if (c === 0x5d) {
        if (!afterNum && (ord > 0 || field > 0)) this.fail('a separator without a number in "nodes"', this.base + i);
        if (field !== 0 || ord !== N) {
          this.fail(`"nodes" holds ${ord} nodes${field ? ' and a partial one' : ''} but node_count says ${N}`, this.base + i);
        }
        if (firstEdge[N] !== this.meta!.edgeCount) {
          this.fail(`nodes own ${firstEdge[N]} edges in all but edge_count says ${this.meta!.edgeCount}`, this.base + i);
        }
        this.nodesDone = true;
        this.state = S.Key;
        afterNum = false;
        i++;
        break;
      }
      this.fail(`unexpected byte '${String.fromCharCode(c)}' in "nodes"`, this.base + i);
    }
    this.afterNum = afterNum;
    this.cur = cur;
    this.inNum = inNum;
    this.field = field;
    this.ord = ord;
    return i;
  }

  /** Hot loop: decodes the `edges` array; `to_node` becomes a node ordinal. */
  private decodeEdges(buf: Buffer, i: number, end: number): number {
    const ef = this.edgeRole.length;
    const role = this.edgeRole;
    const nf = this.nodeRole.length;
    const E = this.meta!.edgeCount;
    const N = this.meta!.nodeCount;
    const limit = N * nf;
    const typeCount = this.meta!.edgeTypes.length;
    const edgeType = this.edgeType;
    const edgeName = this.edgeName;
    const edgeTo = this.edgeTo;
    let cur = this.cur;
    let inNum = this.inNum;
    let field = this.field;
    let ord = this.ord;
    let afterNum = this.afterNum;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        if (!inNum) {
          if (afterNum) this.fail('a missing comma in "edges"', this.base + i);
          inNum = true;
        }
        cur = cur * 10 + (c - 0x30);
        continue;
      }
      if (inNum) {
        if (ord >= E) this.fail(`"edges" holds more than edge_count (${E}) edges`, this.base + i);
        switch (role[field]) {
          case 0:
            if (cur >= typeCount) this.fail(`edge ${ord} has type ${cur}, not in meta.edge_types`, this.base + i);
            edgeType[ord] = cur;
            break;
          case 1:
            if (cur > 0xffffffff) this.fail(`edge ${ord} has a name index past 2^32`, this.base + i);
            edgeName[ord] = cur;
            break;
          case 2: {
            const to = cur / nf;
            if (cur >= limit || to !== Math.floor(to)) {
              this.fail(`edge ${ord} points to ${cur}, which is not a node index`, this.base + i);
            }
            edgeTo[ord] = to;
            break;
          }
        }
        if (++field === ef) {
          field = 0;
          ord++;
        }
        cur = 0;
        inNum = false;
        afterNum = true;
      }
      if (c === 0x2c) {
        if (!afterNum) this.fail('a separator without a number in "edges"', this.base + i);
        afterNum = false;
        continue;
      }
      if (c === 0x0a || c === 0x20 || c === 0x0d || c === 0x09) continue;
      if (c === 0x5d) {
        if (!afterNum && (ord > 0 || field > 0)) this.fail('a separator without a number in "edges"', this.base + i);
        if (field !== 0 || ord !== E) {
          this.fail(`"edges" holds ${ord} edges${field ? ' and a partial one' : ''} but edge_count says ${E}`, this.base + i);
        }
        this.edgesDone = true;
        this.state = S.Key;
        afterNum = false;
        i++;
        break;
      }
      this.fail(`unexpected byte '${String.fromCharCode(c)}' in "edges"`, this.base + i);
    }
    this.afterNum = afterNum;
    this.cur = cur;
    this.inNum = inNum;
    this.field = field;
    this.ord = ord;
    return i;
  }

  /** Decodes the `strings` array one string at a time; never joins the section into one string. */
  private decodeStrings(buf: Buffer, i: number, end: number): number {
    while (i < end) {
      if (this.inString) {
        i = this.continueString(buf, i, end);
        continue;
      }
      const c = buf[i]!;
      if (c === 0x22) {
        i++;
        // Fast path: the whole string is in this chunk and has no escapes.
        const q = buf.indexOf(0x22, i);
        if (q >= 0) {
          if (this.nextBackslash !== -2 && this.nextBackslash < i) {
            const b = buf.indexOf(0x5c, i);
            this.nextBackslash = b < 0 ? -2 : b;
          }
          if (this.nextBackslash === -2 || this.nextBackslash > q) {
            this.strings.push(buf.toString('utf8', i, q));
            i = q + 1;
            continue;
          }
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
          this.strings.push(JSON.parse('"' + raw.toString('utf8') + '"') as string);
        } catch {
          this.fail('a bad escape sequence in "strings"', this.base + start);
        }
      } else {
        this.strings.push(raw.toString('utf8'));
      }
      return i + 1;
    }
    return i;
  }

  /** Flat arrays of plain numbers (`trace_function_infos`, `samples`, `locations`). */
  private decodeFlat(buf: Buffer, i: number, end: number): number {
    const target = this.numbersTarget!;
    let cur = this.cur;
    let inNum = this.inNum;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        cur = cur * 10 + (c - 0x30);
        inNum = true;
      } else if (c === 0x2c || c === 0x5d) {
        if (inNum) target.push(cur);
        cur = 0;
        inNum = false;
        if (c === 0x5d) {
          this.optional.set(this.numbersKey, target.result());
          this.numbersTarget = null;
          this.state = S.Key;
          i++;
          break;
        }
      } else if (c === 0x2d || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b) {
        this.fail(`"${this.numbersKey}" holds a number that is not a non-negative integer`, this.base + i);
      } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.fail(`unexpected byte '${String.fromCharCode(c)}' in "${this.numbersKey}"`, this.base + i);
      }
    }
    this.cur = cur;
    this.inNum = inNum;
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
    if (!this.stringsDone) this.fail('no "strings" section', at);
    const meta = this.meta;
    const N = meta.nodeCount;
    const E = meta.edgeCount;
    const strings = this.strings;
    const stringCount = strings.length;
    const nodeName = this.nodeName;
    for (let i = 0; i < N; i++) {
      if (nodeName[i]! >= stringCount) this.fail(`node ${i} names string ${nodeName[i]}, past the ${stringCount} strings`, -1);
    }
    const edgeType = this.edgeType;
    const edgeName = this.edgeName;
    const elem = this.types.edgeElement;
    const hidden = this.types.edgeHidden;
    for (let e = 0; e < E; e++) {
      const t = edgeType[e];
      if (t !== elem && t !== hidden && edgeName[e]! >= stringCount) {
        this.fail(`edge ${e} names string ${edgeName[e]}, past the ${stringCount} strings`, -1);
      }
    }
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
    const lf = meta.locationFields.length;
    if (loc && loc.length > 0 && lf > 0) {
      const nf = meta.nodeFields.length;
      locations = new Uint32Array(loc.length);
      const objField = Math.max(0, meta.locationFields.indexOf('object_index'));
      for (let k = 0; k < loc.length; k++) {
        let v = loc[k]!;
        if (k % lf === objField) {
          v = v / nf;
          if (v >= N || v !== Math.floor(v)) this.fail(`location ${Math.floor(k / lf)} points to no node`, -1);
        }
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
      traceFunctionInfos: tfi && tfi.length > 0 ? tfi : null,
      traceTree,
      locations,
    };
  }
}
