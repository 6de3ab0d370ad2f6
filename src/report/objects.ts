/**
 * Plain descriptions of single heap objects for the report and for `heapy serve`: a one-line
 * reference, the shortest path from the roots hop by hop, and pages of outgoing edges, retainers
 * and dominated children. Objects are named by their V8 id, the id users see.
 */
import { NO_DISTANCE, NO_NODE, SYSTEM_DISTANCE_BASE, type HeapSnapshot } from '../snapshot/index.js';
import { edgeStep, kindTable, nodeBrief, renderPath } from '../query/index.js';
import { treePath } from '../analyses/spt.js';

/** One object in a line: what a table row or a treemap tile shows. */
export interface ObjectRef {
  /** V8 object id. */
  readonly id: number;
  readonly kind: string;
  /** A string's value, a closure's name, or '' (the kind says the rest). */
  readonly preview: string;
  readonly self: number;
  readonly retained: number;
}

/** One step of a shortest path: the edge taken (`.cache`, `[3]`, `.get("k")`) and the object reached. */
export interface PathHop {
  readonly step: string;
  readonly id: number;
  readonly kind: string;
}

/** One edge of an object's neighbourhood. */
export interface EdgeItem {
  /** The step in `.sp` syntax, as seen from the edge's source. */
  readonly step: string;
  /** V8 edge type: property, element, internal, context, hidden, shortcut, weak. */
  readonly type: string;
  /** The object at the other end (the target for outgoing edges, the source for retainers). */
  readonly object: ObjectRef;
}

/** A page of edges, largest retained size first. */
export interface EdgePage {
  readonly total: number;
  readonly offset: number;
  readonly items: readonly EdgeItem[];
}

/** Everything the page shows about one object. */
export interface ObjectDetail extends ObjectRef {
  readonly type: string;
  /** Distance from the user's roots, or -1 when only weak edges reach it. */
  readonly distance: number;
  /** The shortest path from the roots in `.sp` syntax, or null when no strong path exists. */
  readonly path: string | null;
  /** The same path hop by hop, so each object on it can be opened. */
  readonly hops: readonly PathHop[];
  /** The immediate dominator (the object whose release frees this one), if not the root. */
  readonly dominator: ObjectRef | null;
  readonly edges?: EdgePage;
  readonly retainers?: EdgePage;
}

/** Longest string preview kept, in characters: a report must not embed megabyte strings. */
const PREVIEW_CHARS = 80;

/** A short preview: strings quoted and cut, numbers, closure names; '' for plain objects. */
export function previewOf(snap: HeapSnapshot, ord: number): string {
  const t = snap.nodeType[ord];
  const ty = snap.types;
  if (t === ty.string || t === ty.concatString || t === ty.slicedString || t === ty.number) return nodeBrief(snap, ord, PREVIEW_CHARS);
  if (t === ty.closure) return (snap.nodeNameString(ord) || '(anonymous)') + '()';
  if (t === ty.synthetic || t === ty.hidden || t === ty.code || t === ty.array) {
    const name = snap.nodeNameString(ord);
    return name.length > PREVIEW_CHARS ? name.slice(0, PREVIEW_CHARS) + '…' : name;
  }
  return '';
}

/** The one-line reference of an ordinal. */
export function objectRef(snap: HeapSnapshot, ord: number): ObjectRef {
  const kinds = kindTable(snap);
  return {
    id: snap.nodeId[ord]!,
    kind: kinds.names[kinds.kindOf[ord]!] ?? '',
    preview: previewOf(snap, ord),
    self: snap.nodeSelfSize[ord]!,
    retained: snap.retainedSize[ord]!,
  };
}

/**
 * The shortest path of `ord` as hops (empty when none). Uses the analyses' shortest-path tree (one
 * O(E) pass per snapshot): walking retainers per object costs O(n) per hop under an n-element array,
 * and a report asks for thousands of paths.
 */
export function pathHops(snap: HeapSnapshot, ord: number): { text: string | null; hops: PathHop[] } {
  const edges = treePath(snap, ord);
  if (!edges) return { text: null, hops: [] };
  const kinds = kindTable(snap);
  const hops: PathHop[] = [];
  let from = snap.rootOrdinal;
  for (const e of edges) {
    const to = snap.edgeTo[e]!;
    hops.push({ step: edgeStep(snap, from, e), id: snap.nodeId[to]!, kind: kinds.names[kinds.kindOf[to]!] ?? '' });
    from = to;
  }
  return { text: renderPath(snap, edges), hops };
}

/**
 * The last step of the shortest path to `ord` (`.cache`, `[3]`), found among its retainers one
 * level nearer the roots; '' when none. Cheaper than the whole path, for labelling tree tiles.
 */
export function lastStep(snap: HeapSnapshot, ord: number): string {
  const d = snap.distance[ord]!;
  if (d === NO_DISTANCE || ord === snap.rootOrdinal) return '';
  const want = d === 1 || d === SYSTEM_DISTANCE_BASE + 1 ? snap.distance[snap.rootOrdinal]! : d - 1;
  const weak = snap.types.edgeWeak;
  for (let k = snap.firstRetainer[ord]!, end = snap.firstRetainer[ord + 1]!; k < end; k++) {
    if (!snap.retainerIsStrong(k)) continue;
    const u = snap.retainerNode(k);
    if (snap.distance[u] !== want) continue;
    for (let e = snap.firstEdge[u]!, ee = snap.firstEdge[u + 1]!; e < ee; e++) {
      if (snap.edgeTo[e] === ord && snap.edgeType[e] !== weak) return edgeStep(snap, u, e);
    }
  }
  return '';
}

/**
 * Positions 0..n-1 of the `k` largest scores, largest first (ties by position). A bounded sorted
 * list instead of sorting all n: an array of a million elements must not be sorted to show 8.
 */
function topPositions(n: number, score: (i: number) => number, k: number): number[] {
  if (k >= n / 4) {
    const all = Array.from({ length: n }, (_, i) => i);
    return all.sort((a, b) => score(b) - score(a) || a - b).slice(0, k);
  }
  const top: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = score(i);
    if (top.length >= k && s <= scores[scores.length - 1]!) continue;
    let at = top.length;
    while (at > 0 && scores[at - 1]! < s) at--;
    top.splice(at, 0, i);
    scores.splice(at, 0, s);
    if (top.length > k) {
      top.length = k;
      scores.length = k;
    }
  }
  return top;
}

/** One page of edges given as parallel lists of sources and edge indexes; `other` picks the object shown. */
function page(snap: HeapSnapshot, from: ArrayLike<number>, edges: ArrayLike<number>, total: number, outgoing: boolean, offset: number, limit: number): EdgePage {
  const r = snap.retainedSize;
  const other = (i: number) => (outgoing ? snap.edgeTo[edges[i]!]! : from[i]!);
  const picked = topPositions(edges.length, (i) => r[other(i)]!, offset + limit).slice(offset);
  const items = picked.map((i) => ({
    step: edgeStep(snap, from[i]!, edges[i]!),
    type: snap.edgeTypeName(edges[i]!),
    object: objectRef(snap, other(i)),
  }));
  return { total, offset, items };
}

/** Outgoing edges of `ord`, largest target first. */
export function outgoingEdges(snap: HeapSnapshot, ord: number, offset = 0, limit = 50): EdgePage {
  const first = snap.firstEdge[ord]!;
  const n = snap.firstEdge[ord + 1]! - first;
  const edges = new Uint32Array(n);
  for (let i = 0; i < n; i++) edges[i] = first + i;
  return page(snap, new Uint32Array(n).fill(ord), edges, n, true, offset, limit);
}

/** Incoming edges of some objects, gathered in one pass over all edges. */
export interface IncomingIndex {
  /** Per target ordinal: sources and edge indexes (at most `cap` each), and the true count. */
  get(ord: number): { from: number[]; edges: number[]; total: number } | undefined;
}

/**
 * The incoming edges of every object in `ords`, in one O(E) pass. Looking them up per object scans
 * each retainer's edges, which costs a million steps per object held by a million-element array.
 */
export function incomingIndex(snap: HeapSnapshot, ords: Iterable<number>, cap = 5000): IncomingIndex {
  const want = new Map<number, { from: number[]; edges: number[]; total: number }>();
  for (const o of ords) want.set(o, { from: [], edges: [], total: 0 });
  const mark = new Uint8Array(snap.nodeCount);
  for (const o of want.keys()) mark[o] = 1;
  const { firstEdge, edgeTo } = snap;
  for (let v = 0, n = snap.nodeCount; v < n; v++) {
    for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) {
      const t = edgeTo[e]!;
      if (mark[t] === 0) continue;
      const entry = want.get(t)!;
      entry.total++;
      if (entry.edges.length < cap) {
        entry.from.push(v);
        entry.edges.push(e);
      }
    }
  }
  return want;
}

/** Edges into `ord` (its retainers), largest retainer first. */
export function incomingEdges(snap: HeapSnapshot, ord: number, offset = 0, limit = 50, index?: IncomingIndex): EdgePage {
  const known = index?.get(ord);
  if (known) return page(snap, known.from, known.edges, known.total, false, offset, limit);
  const from: number[] = [];
  const edges: number[] = [];
  for (let k = snap.firstRetainer[ord]!, end = snap.firstRetainer[ord + 1]!; k < end; k++) {
    const u = snap.retainerNode(k);
    // A retainer entry names the node, not the edge: take every edge of u that reaches ord once.
    if (from.length > 0 && from[from.length - 1] === u) continue;
    for (let e = snap.firstEdge[u]!, ee = snap.firstEdge[u + 1]!; e < ee; e++) {
      if (snap.edgeTo[e] === ord) {
        from.push(u);
        edges.push(e);
      }
    }
  }
  return page(snap, from, edges, edges.length, false, offset, limit);
}

/** All that the page shows about one object, with the first `neighbours` edges each way. */
export function objectDetail(snap: HeapSnapshot, ord: number, neighbours = 12, index?: IncomingIndex): ObjectDetail {
  const { text, hops } = pathHops(snap, ord);
  const d = snap.distance[ord]!;
  const dom = snap.dominator[ord]!;
  const detail: ObjectDetail = {
    ...objectRef(snap, ord),
    type: snap.nodeTypeName(ord),
    distance: d === NO_DISTANCE ? -1 : d >= SYSTEM_DISTANCE_BASE ? d - SYSTEM_DISTANCE_BASE : d,
    path: text,
    hops,
    dominator: dom === NO_NODE || dom === snap.rootOrdinal ? null : objectRef(snap, dom),
  };
  if (neighbours <= 0) return detail;
  return { ...detail, edges: outgoingEdges(snap, ord, 0, neighbours), retainers: incomingEdges(snap, ord, 0, neighbours, index) };
}
