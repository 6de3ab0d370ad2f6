/**
 * What parsing a snapshot yields: the fields the parser fills, declared once here for both the
 * parser's result ({@link RawSnapshot}) and the analysed graph (HeapSnapshot extends
 * {@link ParsedSnapshot}), so that the two cannot drift apart; and the interfaces between the
 * parser (parser.ts) and the readers of its sections (header.ts, strings-section.ts,
 * optional-sections.ts).
 */
import type { ExitCode } from '../errors.js';
import type { SnapshotMeta, TypeIds } from './meta.js';
import type { StringTable } from './strings.js';

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

/**
 * The parsed graph in typed arrays; node and edge references are ordinals. A class rather than an
 * interface so that HeapSnapshot inherits the fields instead of declaring them again: its
 * constructor's assignments keep every field in the object itself (V8 counts `this.x =` in
 * constructors up the class chain; with Object.assign, %DebugPrint showed 9 of HeapSnapshot's 29
 * fields moved out to a side array, one more load on each access).
 */
export class ParsedSnapshot {
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
  /** Self size in bytes per node; a Float64Array only if some size does not fit 32 bits. */
  readonly nodeSelfSize: Uint32Array | Float64Array;
  /** `trace_node_id` per node, or null when every one is 0 (allocation tracking was off). */
  readonly nodeTraceId: Uint32Array | null;
  /** Embedder attached (1) / detached (2) state per node, or null when the snapshot has no such field or all are 0. */
  readonly nodeDetachedness: Uint8Array | null;
  /** First-edge prefix sums: node i owns edges firstEdge[i] .. firstEdge[i+1]-1. Length nodeCount+1. */
  readonly firstEdge: Uint32Array;
  /** Edge type id per edge. */
  readonly edgeType: Uint8Array;
  /** String index, or the element/hidden index for element and hidden edges. */
  readonly edgeName: Uint32Array;
  /** Target node ordinal per edge. */
  readonly edgeTo: Uint32Array;
  /** Flat `trace_function_infos` numbers, or null when absent/empty. */
  readonly traceFunctionInfos: Float64Array | null;
  /** The allocation trace tree, or null. */
  readonly traceTree: TraceTree | null;
  /** Flat `locations` numbers (object ordinal, script id, line, column), or null. */
  readonly locations: Uint32Array | null;

  /** Takes the fields of `raw` as they are (no copy of the arrays). */
  constructor(raw: ParsedSnapshot) {
    this.meta = raw.meta;
    this.types = raw.types;
    this.nodeCount = raw.nodeCount;
    this.edgeCount = raw.edgeCount;
    this.nodeType = raw.nodeType;
    this.nodeName = raw.nodeName;
    this.nodeId = raw.nodeId;
    this.nodeSelfSize = raw.nodeSelfSize;
    this.nodeTraceId = raw.nodeTraceId;
    this.nodeDetachedness = raw.nodeDetachedness;
    this.firstEdge = raw.firstEdge;
    this.edgeType = raw.edgeType;
    this.edgeName = raw.edgeName;
    this.edgeTo = raw.edgeTo;
    this.traceFunctionInfos = raw.traceFunctionInfos;
    this.traceTree = raw.traceTree;
    this.locations = raw.locations;
  }
}

/** Everything a snapshot file holds, in typed arrays, as the parser's finish() returns it. */
export interface RawSnapshot extends ParsedSnapshot {
  /** The string table. */
  readonly strings: StringTable;
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

/**
 * How the readers of the header and the sections report bad input at byte `at`: the parser's
 * fail(), which names the source and throws SnapshotFormatError.
 */
export type Fail = (message: string, at: number, code?: typeof ExitCode.badSnapshot | typeof ExitCode.tooLarge) => never;

/** Reads one value of the file, chunk by chunk, for the parser (header.ts and the section readers). */
export interface SectionReader {
  /** True once the value has ended. */
  readonly done: boolean;
  /** Consumes buf[i..end) (`base`: the file offset of buf[0]); returns where it stopped. */
  write(buf: Buffer, i: number, end: number, base: number): number;
}
