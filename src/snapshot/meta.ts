/**
 * The `snapshot.meta` header of a .heapsnapshot: field lists and type names, read once so that hot
 * loops compare small integers instead of strings.
 */
import { SnapshotFormatError } from '../errors.js';

/** Field layout and type names of one snapshot, as read from its `snapshot.meta`. */
export interface SnapshotMeta {
  /** Names of the numbers that make one node, in file order. */
  readonly nodeFields: readonly string[];
  /** Names of the numbers that make one edge, in file order. */
  readonly edgeFields: readonly string[];
  /** Node type names by type id. */
  readonly nodeTypes: readonly string[];
  /** Edge type names by type id. */
  readonly edgeTypes: readonly string[];
  /** Field names of one `trace_function_infos` record, or empty when absent. */
  readonly traceFunctionInfoFields: readonly string[];
  /** Field names of one `trace_tree` node, or empty when absent. */
  readonly traceNodeFields: readonly string[];
  /** Field names of one `locations` record, or empty when absent. */
  readonly locationFields: readonly string[];
  /** Field names of one `samples` record, or empty when absent. */
  readonly sampleFields: readonly string[];
  /** Number of nodes the header announces. */
  readonly nodeCount: number;
  /** Number of edges the header announces. */
  readonly edgeCount: number;
  /** Number of trace function infos announced (0 when allocation tracking was off). */
  readonly traceFunctionCount: number;
  /** Ordinal of the root node (Chromium may say `root_index`; Node always uses 0). */
  readonly rootOrdinal: number;
}

/** Integer ids of the node and edge types heapy's algorithms test for; -1 when a snapshot lacks one. */
export interface TypeIds {
  readonly hidden: number;
  readonly array: number;
  readonly string: number;
  readonly object: number;
  readonly code: number;
  readonly closure: number;
  readonly regexp: number;
  readonly number: number;
  readonly native: number;
  readonly synthetic: number;
  readonly concatString: number;
  readonly slicedString: number;
  readonly symbol: number;
  readonly bigint: number;
  readonly objectShape: number;
  readonly edgeContext: number;
  readonly edgeElement: number;
  readonly edgeProperty: number;
  readonly edgeInternal: number;
  readonly edgeHidden: number;
  readonly edgeShortcut: number;
  readonly edgeWeak: number;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/** Validates the parsed `snapshot` object of a heapsnapshot file and returns its meta. */
export function readMeta(source: string, snapshot: unknown, offset: number): SnapshotMeta {
  const bad = (what: string): never => {
    throw new SnapshotFormatError(source, `not a V8 heap snapshot: ${what}`, offset);
  };
  if (typeof snapshot !== 'object' || snapshot === null) bad('"snapshot" is not an object');
  const s = snapshot as Record<string, unknown>;
  const m = s.meta as Record<string, unknown> | undefined;
  if (typeof m !== 'object' || m === null) return bad('"snapshot.meta" is missing');
  const nodeFields = stringList(m.node_fields) ?? bad('"meta.node_fields" is missing');
  const edgeFields = stringList(m.edge_fields) ?? bad('"meta.edge_fields" is missing');
  const nodeTypeSpec = m.node_types;
  const edgeTypeSpec = m.edge_types;
  const nodeTypes = (Array.isArray(nodeTypeSpec) && stringList(nodeTypeSpec[0])) || bad('"meta.node_types" is missing');
  const edgeTypes = (Array.isArray(edgeTypeSpec) && stringList(edgeTypeSpec[0])) || bad('"meta.edge_types" is missing');
  for (const f of ['type', 'name', 'id', 'self_size', 'edge_count']) {
    if (!nodeFields.includes(f)) bad(`node field "${f}" is missing`);
  }
  for (const f of ['type', 'name_or_index', 'to_node']) {
    if (!edgeFields.includes(f)) bad(`edge field "${f}" is missing`);
  }
  const nodeCount = count(s.node_count) ?? bad('"snapshot.node_count" is not a count');
  const edgeCount = count(s.edge_count) ?? bad('"snapshot.edge_count" is not a count');
  const rootIndex = s.root_index === undefined ? 0 : (count(s.root_index) ?? bad('"snapshot.root_index" is not a count'));
  if (rootIndex % nodeFields.length !== 0) bad('"snapshot.root_index" is not a node index');
  return {
    nodeFields,
    edgeFields,
    nodeTypes,
    edgeTypes,
    traceFunctionInfoFields: stringList(m.trace_function_info_fields) ?? [],
    traceNodeFields: stringList(m.trace_node_fields) ?? [],
    locationFields: stringList(m.location_fields) ?? [],
    sampleFields: stringList(m.sample_fields) ?? [],
    nodeCount,
    edgeCount,
    traceFunctionCount: count(s.trace_function_count) ?? 0,
    rootOrdinal: rootIndex / nodeFields.length,
  };
}

/** Looks up the type ids heapy needs; a type a snapshot does not name gets -1. */
export function typeIds(meta: SnapshotMeta): TypeIds {
  const n = (name: string) => meta.nodeTypes.indexOf(name);
  const e = (name: string) => meta.edgeTypes.indexOf(name);
  return {
    hidden: n('hidden'),
    array: n('array'),
    string: n('string'),
    object: n('object'),
    code: n('code'),
    closure: n('closure'),
    regexp: n('regexp'),
    number: n('number'),
    native: n('native'),
    synthetic: n('synthetic'),
    concatString: n('concatenated string'),
    slicedString: n('sliced string'),
    symbol: n('symbol'),
    bigint: n('bigint'),
    objectShape: n('object shape'),
    edgeContext: e('context'),
    edgeElement: e('element'),
    edgeProperty: e('property'),
    edgeInternal: e('internal'),
    edgeHidden: e('hidden'),
    edgeShortcut: e('shortcut'),
    edgeWeak: e('weak'),
  };
}

// V8 object ids and what their order means (kept here with the other facts of the format, so
// loading a snapshot pulls in no extra module). V8 numbers heap (JS) objects from one counter in
// steps of 2 starting odd, so a larger odd id is a younger object; embedder (native) and
// synthetic nodes get even ids from another counter or from hashes (1,460,429,664 seen here
// beside a largest object id of ~100,000), which say nothing about age.

/** A reference point in id order: the largest JS (odd) and native (even) ids seen. */
export interface IdMark {
  /** Largest odd id: JS heap objects up to it existed at the mark. */
  readonly js: number;
  /** Largest even id: native and synthetic nodes. */
  readonly native: number;
}

/** True for the id of a V8 heap object (odd); false for native and synthetic nodes (even). */
export function isHeapObjectId(id: number): boolean {
  return id % 2 === 1;
}

/** The largest odd and even ids of a node-id column. */
export function maxIds(ids: ArrayLike<number>): IdMark {
  let js = 0;
  let native = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id % 2 === 1) {
      if (id > js) js = id;
    } else if (id > native) native = id;
  }
  return { js, native };
}

/** True when `id` is newer than the mark: above the mark's largest id of its own counter. */
export function isAfterMark(id: number, mark: IdMark): boolean {
  return id % 2 === 1 ? id > mark.js : id > mark.native;
}
