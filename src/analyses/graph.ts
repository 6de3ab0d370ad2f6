/**
 * objgraph's show_backrefs for V8 heaps: the objects that refer to a set, and what refers to them,
 * breadth first up to a depth and a node budget, as a Graphviz graph. Objects are boxes labelled
 * with their kind and a short preview; edges carry the property name, index or Map key; the
 * starting objects are highlighted, roots are drawn apart, and a referrer list longer than
 * `tooMany` ends in a "+N more" node. Backing stores (an array's elements, a Map's table, a
 * dictionary's property store) are folded into their owner, so an edge reads `Map -.get("k")->
 * Entry` instead of going through an anonymous internal array.
 *
 * SVG is rendered in-process by Graphviz compiled to WebAssembly (@viz-js/viz): no `dot` binary.
 */
import { NO_DISTANCE, NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { edgeStep, nodeBrief } from '../query/paths.js';
import { formatBytes, formatCount } from '../util/format.js';
import { Printable } from '../util/printable.js';
import { inspect } from 'node:util';
import { escapeControls } from '../errors.js';

/** Options of {@link backrefGraph}. */
export interface GraphOptions {
  /** How many referrer levels above the starting objects (default 5). */
  readonly depth?: number;
  /** At most this many object boxes (default 60); the walk stops adding objects past it. */
  readonly maxNodes?: number;
  /** Referrers shown per object before the rest become one "+N more" box (default 8, objgraph's too_many is 10). */
  readonly tooMany?: number;
  /** At most this many starting objects, the largest by retained size (default 5). */
  readonly maxStarts?: number;
}

/** A box of the graph. */
export interface GraphNode {
  /** Node ordinal, or -1 for a "+N more" box. */
  readonly ordinal: number;
  /** The object's V8 heap id (0 for a "+N more" box). */
  readonly id: number;
  /** The object's kind; `Root` for the snapshot root, a synthetic root's own name, empty for a "+N more" box. */
  readonly kind: string;
  /** Short preview (a string's value, a function's name, an array's length, property names). */
  readonly preview: string;
  /** Bytes the object retains (what freeing it would free; 0 for a "+N more" box). */
  readonly retainedSize: number;
  /** Levels above the nearest starting object (0 for starting objects). */
  readonly depth: number;
  /** True for the starting objects (the set's objects the walk began from). */
  readonly start: boolean;
  /** The snapshot root, a synthetic root category, or a global object. */
  readonly root: boolean;
  /** For a cut-off box: how many referrers it stands for. */
  readonly more?: number;
}

/** An edge from a referrer to the object it refers to. */
export interface GraphEdge {
  /** Index into nodes of the referrer. */
  readonly from: number;
  /** Index into nodes of the object referred to. */
  readonly to: number;
  /** The referrer's step to the object (`.name`, `[3]`, `.get("k")`); empty from a "+N more" box. */
  readonly label: string;
}

/** The back-reference graph as data. */
export interface BackrefGraphData {
  /** The boxes: starting objects first, then referrers in breadth-first order. */
  readonly nodes: readonly GraphNode[];
  /** The references between boxes, by index into `nodes`. */
  readonly edges: readonly GraphEdge[];
  /** True when the node budget stopped the walk before the depth did. */
  readonly truncated: boolean;
}

function isRoot(snap: HeapSnapshot, v: number): boolean {
  if (v === snap.rootOrdinal || snap.nodeType[v] === snap.types.synthetic) return true;
  // The global objects hang directly under the root (distance 1).
  return snap.distance[v] === 1;
}

function isInternal(snap: HeapSnapshot, v: number): boolean {
  const t = snap.nodeType[v];
  const ty = snap.types;
  return t === ty.hidden || t === ty.code || t === ty.objectShape;
}

/** A short description of a node for its box. */
function preview(snap: HeapSnapshot, v: number): string {
  const ty = snap.types;
  const t = snap.nodeType[v];
  if (v === snap.rootOrdinal) return '';
  if (t === ty.synthetic) return '';
  if (t === ty.string || t === ty.concatString || t === ty.slicedString || t === ty.number) return nodeBrief(snap, v, 30);
  if (t === ty.closure) return `${snap.nodeNameString(v) || '(anonymous)'}()`;
  const { firstEdge, edgeType, edgeTo, owner } = snap;
  let elements = 0;
  const props: string[] = [];
  let propCount = 0;
  let entries = -1;
  for (let e = firstEdge[v]!, end = firstEdge[v + 1]!; e < end; e++) {
    const et = edgeType[e];
    if (et === ty.edgeElement) elements++;
    else if (et === ty.edgeProperty) {
      const name = snap.edgeNameString(e);
      if (name === '__proto__' || name === 'constructor') continue;
      propCount++;
      if (props.length < 3) props.push(name.length > 16 ? name.slice(0, 15) + '…' : name);
    } else if (et === ty.edgeInternal && snap.edgeNameString(e) === 'table') {
      const table = edgeTo[e]!;
      if (owner[table] === v) {
        let n = 0;
        for (let f = firstEdge[table]!, fe = firstEdge[table + 1]!; f < fe; f++) {
          if (edgeType[f] === ty.edgeInternal && Number.isInteger(Number(snap.edgeNameString(f)))) n++;
        }
        entries = n;
      }
    }
  }
  const cls = snap.className(v);
  if (entries >= 0 && (cls === 'Map' || cls === 'Set' || cls === 'WeakMap' || cls === 'WeakSet')) {
    // Map tables hold key and value edges (Smi keys have none), Set tables one edge per member.
    return cls.endsWith('Map') ? `~${formatCount(Math.ceil(entries / 2))} entries` : `~${formatCount(entries)} members`;
  }
  if (elements > 0 || cls === 'Array') return `length ≥ ${formatCount(elements)}`;
  if (propCount > 0) return `{${props.join(', ')}${propCount > props.length ? ', …' : ''}}`;
  return '';
}

/**
 * The referrers of `v` as (referrer, label) pairs, stores folded into their owners, weak edges
 * left out, user objects before V8 internals and nearer ones (to the roots) first.
 */
function referrers(snap: HeapSnapshot, v: number): { from: number; label: string }[] {
  const out: { from: number; label: string }[] = [];
  const seen = new Set<string>();
  const { firstRetainer, firstEdge, edgeTo, edgeType, owner } = snap;
  const weak = snap.types.edgeWeak;
  const add = (from: number, label: string) => {
    const key = `${from}\u0000${label}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ from, label });
  };
  for (let k = firstRetainer[v]!, end = firstRetainer[v + 1]!; k < end; k++) {
    if (!snap.retainerIsStrong(k)) continue;
    const r = snap.retainerNode(k);
    if (r === v) continue;
    for (let e = firstEdge[r]!, ee = firstEdge[r + 1]!; e < ee; e++) {
      if (edgeTo[e] !== v || edgeType[e] === weak) continue;
      const step = edgeStep(snap, r, e);
      const o = owner[r]!;
      if (o !== NO_NODE && o !== v) {
        // A store's edge shows as its owner's: elements as [i], a Map table's as .get(key).
        // Dictionary stores duplicate the owner's own property edges: skip those.
        if (snap.nodeNameString(r) === '(object properties)') continue;
        add(o, step.startsWith('.[[') && /^\.\[\[\d+\]\]$/.test(step) ? `[${step.slice(3, -2)}]` : step);
      } else {
        add(r, step);
      }
      break;
    }
  }
  const dist = (x: number) => (snap.distance[x] === NO_DISTANCE ? Infinity : snap.distance[x]!);
  out.sort((a, b) => Number(isInternal(snap, a.from)) - Number(isInternal(snap, b.from)) || dist(a.from) - dist(b.from) || a.from - b.from);
  return out;
}

/** Walks referrers breadth first from `starts`; see the module comment. */
export function backrefGraph(snap: HeapSnapshot, starts: ArrayLike<number>, options: GraphOptions = {}): BackrefGraphData {
  const maxDepth = options.depth ?? 5;
  const maxNodes = options.maxNodes ?? 60;
  const tooMany = options.tooMany ?? 8;
  const maxStarts = options.maxStarts ?? 5;
  if (starts.length > maxStarts) {
    starts = Array.from(starts)
      .sort((a, b) => snap.retainedSize[b]! - snap.retainedSize[a]! || a - b)
      .slice(0, maxStarts);
  }
  const { kindOf, names } = kindTable(snap);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const index = new Map<number, number>();
  let truncated = false;
  const addNode = (v: number, depth: number, start: boolean): number => {
    const i = nodes.length;
    const root = isRoot(snap, v);
    nodes.push({
      ordinal: v,
      id: snap.nodeId[v]!,
      kind: v === snap.rootOrdinal ? 'Root' : snap.nodeType[v] === snap.types.synthetic ? snap.nodeNameString(v) : names[kindOf[v]!]!,
      preview: preview(snap, v),
      retainedSize: snap.retainedSize[v]!,
      depth,
      start,
      root,
    });
    index.set(v, i);
    return i;
  };
  let frontier: number[] = [];
  for (let j = 0; j < starts.length && nodes.length < maxNodes; j++) {
    const v = starts[j]!;
    if (index.has(v)) continue;
    addNode(v, 0, true);
    frontier.push(v);
  }
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const v of frontier) {
      const to = index.get(v)!;
      if (nodes[to]!.root && !nodes[to]!.start) continue;
      const refs = referrers(snap, v);
      let shown = 0;
      let hidden = 0;
      for (const { from, label } of refs) {
        let fi = index.get(from);
        if (fi === undefined) {
          if (shown >= tooMany) {
            hidden++;
            continue;
          }
          if (nodes.length >= maxNodes) {
            truncated = true;
            hidden++;
            continue;
          }
          fi = addNode(from, depth, false);
          next.push(from);
        }
        shown++;
        edges.push({ from: fi, to, label });
      }
      if (hidden > 0) {
        const mi = nodes.length;
        nodes.push({ ordinal: -1, id: 0, kind: '', preview: '', retainedSize: 0, depth, start: false, root: false, more: hidden });
        edges.push({ from: mi, to, label: '' });
      }
    }
    frontier = next;
  }
  return { nodes, edges, truncated };
}

/**
 * A quoted DOT label of `lines`, each one line of heap text: control characters (newlines in a
 * property name included) written visibly as `\xHH`, backslashes and quotes escaped, so the only
 * line breaks are the ones between `lines`. Graphviz's escapes (`\n`, `\l`, `\N`) cannot come from
 * the heap. A label must not start with a line break: with one (a kind named "\n @1"), the
 * @viz-js/viz 3.x instance fails on the next render ("table index is out of bounds").
 */
function q(...lines: string[]): string {
  const text = lines.map((l) => escapeControls(l).replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n');
  return `"${text.startsWith('\\n') ? ' ' + text : text}"`;
}

// Light fills by distance from the starting objects, as objgraph shades by depth.
const DEPTH_FILLS = ['#ffd54f', '#e3f2fd', '#e8f5e9', '#f3e5f5', '#fff3e0', '#f1f8e9', '#fce4ec'];

/** The graph in Graphviz's DOT language: referrers above, arrows from referrer to referent. */
export function toDot(g: BackrefGraphData, title = 'heapy back-references'): string {
  const lines = [
    'digraph backrefs {',
    `  label=${q(title)}; labelloc=t; fontname="Helvetica"; fontsize=12;`,
    '  rankdir=TB; nodesep=0.3; ranksep=0.5;',
    '  node [shape=box, style="filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
  ];
  g.nodes.forEach((n, i) => {
    if (n.more !== undefined) {
      lines.push(`  n${i} [label=${q(`+${formatCount(n.more)} more referrers`)}, shape=note, fillcolor="#eeeeee", fontcolor="#555555"];`);
      return;
    }
    const head = n.kind === 'Root' ? 'Root' : `${n.kind} @${n.id}`;
    const label = [head, n.preview, n.root ? '' : `retains ${formatBytes(n.retainedSize)}`].filter((x) => x !== '');
    const attrs = [`label=${q(...label)}`];
    if (n.start) attrs.push('fillcolor="#ffd54f"', 'penwidth=2', 'color="#e65100"');
    else if (n.root) attrs.push('shape=doubleoctagon', 'fillcolor="#cfd8dc"');
    else attrs.push(`fillcolor="${DEPTH_FILLS[Math.min(n.depth, DEPTH_FILLS.length - 1)]}"`);
    lines.push(`  n${i} [${attrs.join(', ')}];`);
  });
  for (const e of g.edges) {
    const attrs = e.label ? ` [label=${q(e.label.length > 40 ? e.label.slice(0, 39) + '…' : e.label)}]` : ' [style=dashed]';
    lines.push(`  n${e.from} -> n${e.to}${attrs};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

type VizInstance = { renderString(input: string, options?: { format?: string; engine?: string }): string };
let viz: Promise<VizInstance> | undefined;

/**
 * Renders DOT text to SVG with Graphviz compiled to WebAssembly (loaded on first use). A failed
 * render can leave the instance broken for the next one (@viz-js/viz 3.x: "table index is out of
 * bounds" on every other call), so a failure drops the instance and tries once more on a fresh one;
 * a second failure throws an Error saying Graphviz failed.
 */
export async function dotToSvg(dot: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    viz ??= import('@viz-js/viz').then((m) => m.instance() as Promise<VizInstance>);
    const v = await viz;
    try {
      return v.renderString(dot, { format: 'svg', engine: 'dot' });
    } catch (err) {
      viz = undefined;
      if (attempt > 0) throw new Error(`Graphviz could not draw the graph (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }
}

/** The result of `set.graph()`: the data, its DOT text, and SVG on request. */
export class HeapGraph extends Printable<BackrefGraphData> {
  /** The graph as plain data (boxes and edges). */
  readonly data: BackrefGraphData;
  /** The graph in DOT. */
  readonly dot: string;
  constructor(data: BackrefGraphData, title?: string) {
    super();
    this.data = data;
    this.dot = toDot(data, title);
  }
  /** The graph as an SVG document (Graphviz in WebAssembly, no binary needed). */
  svg(): Promise<string> {
    return dotToSvg(this.dot);
  }
  /** The DOT text. */
  override toString(): string {
    return this.dot;
  }
  /** The boxes and edges. */
  override toJSON(): BackrefGraphData {
    return this.data;
  }
  /** Makes console.log and the REPL print a one-line summary (objects, edges) instead of the DOT text. */
  override [inspect.custom](): string {
    const n = this.data.nodes.filter((x) => x.more === undefined).length;
    return `<back-reference graph: ${n} objects, ${this.data.edges.length} edges${this.data.truncated ? ', cut at the node budget' : ''}; .dot for DOT, await .svg() for SVG>`;
  }
}
