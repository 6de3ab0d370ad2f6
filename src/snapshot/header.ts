/**
 * The `snapshot` header of a .heapsnapshot: captured by bracket counting (the same reader skips the
 * values of unknown keys), checked against the input's size, and turned into the node and edge
 * columns the numeric sections are decoded into.
 */
import { ExitCode } from '../errors.js';
import { readMeta, typeIds, type SnapshotMeta, type TypeIds } from './meta.js';
import type { Fail, ParsedSnapshot, SectionReader } from './raw.js';
import { MAX_HEADER_BYTES } from './thresholds.js';

/** The node and edge arrays the parser fills, writable while it does. */
export type Columns = {
  -readonly [K in
    | 'nodeType'
    | 'nodeName'
    | 'nodeId'
    | 'nodeSelfSize'
    | 'nodeTraceId'
    | 'nodeDetachedness'
    | 'firstEdge'
    | 'edgeType'
    | 'edgeName'
    | 'edgeTo']: ParsedSnapshot[K];
};

/** Where each node field sits in a record; -1 for the optional ones a snapshot lacks. */
export interface NodeOffsets {
  readonly type: number;
  readonly name: number;
  readonly id: number;
  readonly size: number;
  readonly edges: number;
  readonly trace: number;
  readonly detachedness: number;
}

/** What the header tells the parser. */
export interface Header {
  readonly meta: SnapshotMeta;
  readonly types: TypeIds;
  readonly nodeOffsets: NodeOffsets;
}

/**
 * Reads one JSON value by bracket counting, across chunks; keeps its bytes only when asked (the
 * header, a few kilobytes). One reader a value: the header and each unknown key get a new one.
 */
export class ValueCapture implements SectionReader {
  /** True once the value has ended. */
  done = false;
  private readonly parts: Buffer[] = [];
  private depth = 0;
  private inString = false;
  private escape = false;
  private bytes = 0;

  /** `keep`: collect the bytes for {@link ValueCapture.text}; `start`: the value's byte offset, for errors. */
  constructor(
    readonly keep: boolean,
    readonly start: number,
    private readonly fail: Fail,
  ) {}

  /** Consumes the value's bytes from buf[i..end) (`base`: offset of buf[0]); returns where it stopped. */
  write(buf: Buffer, i: number, end: number, base: number): number {
    const start = i;
    let depth = this.depth;
    let inStr = this.inString;
    let esc = this.escape;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === 0x5c) esc = true;
        else if (c === 0x22) inStr = false;
        continue;
      }
      if (depth === 0 && (c === 0x2c || c === 0x7d)) {
        this.done = true; // a scalar value ended; the separator is left for the key state
        break;
      }
      if (c === 0x22) inStr = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          i++;
          this.done = true;
          break;
        }
        if (depth < 0) this.fail('unbalanced brackets', base + i);
      }
    }
    this.depth = depth;
    this.inString = inStr;
    this.escape = esc;
    if (this.keep) {
      this.bytes += i - start;
      if (this.bytes > MAX_HEADER_BYTES) this.fail(`"snapshot" header is larger than ${MAX_HEADER_BYTES / 1024 / 1024} MiB`, this.start);
      this.parts.push(Buffer.from(buf.subarray(start, i)));
    }
    return i;
  }

  /** The value's text, once done (empty unless `keep`). */
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/**
 * Parses and checks the header's text (found at byte `at`): its counts must fit the input's
 * `totalBytes` (0 when unknown) and heapy's 32-bit ordinals.
 */
export function readHeader(source: string, text: string, at: number, totalBytes: number, fail: Fail): Header {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('"snapshot" header is not valid JSON', at);
  }
  const meta = readMeta(source, parsed, at);
  const nf = meta.nodeFields.length;
  const ef = meta.edgeFields.length;
  const N = meta.nodeCount;
  const E = meta.edgeCount;
  // Each number needs at least one digit and one separator.
  const minBytes = 2 * (N * nf + E * ef);
  if (totalBytes > 0 && minBytes > totalBytes) {
    fail(`header announces ${N} nodes and ${E} edges, which need at least ${minBytes} bytes, but the input has ${totalBytes}`, at);
  }
  // Ordinals are stored in 32 bits, with the top two bits used as flags in the retainer lists.
  if (N >= 2 ** 30 || E >= 2 ** 32 - 1) {
    fail(`header announces ${N} nodes and ${E} edges, more than heapy can index`, at, ExitCode.tooLarge);
  }
  if (meta.rootOrdinal >= N && N > 0) fail('"root_index" is past the last node', at);
  const nfl = meta.nodeFields;
  const nodeOffsets: NodeOffsets = {
    type: nfl.indexOf('type'),
    name: nfl.indexOf('name'),
    id: nfl.indexOf('id'),
    size: nfl.indexOf('self_size'),
    edges: nfl.indexOf('edge_count'),
    trace: nfl.indexOf('trace_node_id'),
    detachedness: nfl.indexOf('detachedness'),
  };
  return { meta, types: typeIds(meta), nodeOffsets };
}

/**
 * Allocates the columns for the header's counts, on SharedArrayBuffers when `shared` (so that a
 * worker can fill part of them). `nodeTraceId` is left null: it is allocated only if some node
 * has a trace id. A count too big for memory fails with ExitCode.tooLarge, naming byte `at`.
 */
export function allocateColumns(meta: SnapshotMeta, shared: boolean, at: number, fail: Fail): Columns {
  const N = meta.nodeCount;
  const E = meta.edgeCount;
  const u8 = (n: number): Uint8Array => (shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
  const u32 = (n: number): Uint32Array => (shared ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n));
  try {
    return {
      nodeType: u8(N),
      nodeName: u32(N),
      nodeId: u32(N),
      nodeSelfSize: u32(N),
      nodeTraceId: null,
      nodeDetachedness: meta.nodeFields.includes('detachedness') ? u8(N) : null,
      firstEdge: u32(N + 1),
      edgeType: u8(E),
      edgeName: u32(E),
      edgeTo: u32(E),
    };
  } catch (err) {
    if (err instanceof RangeError) fail(`header announces ${N} nodes and ${E} edges: cannot allocate memory for them`, at, ExitCode.tooLarge);
    throw err;
  }
}
