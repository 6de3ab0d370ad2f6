/**
 * The dominator tree as the report uses it: children lists, each kind's retained size, and a small
 * aggregated tree of retained sizes for the treemap (top levels only, small children merged).
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from '../query/index.js';
import { lastStep, objectRef, type ObjectRef } from './objects.js';

/** Dominated children of every node in prefix-sum layout: children of v are list[first[v] .. first[v+1]). */
export interface DominatorChildren {
  readonly first: Uint32Array;
  readonly list: Uint32Array;
}

const childrenCache = new WeakMap<HeapSnapshot, DominatorChildren>();

/** Builds (once per snapshot) the dominator tree's children lists by a counting sort: two N-sized arrays. */
export function dominatorChildren(snap: HeapSnapshot): DominatorChildren {
  const hit = childrenCache.get(snap);
  if (hit) return hit;
  const N = snap.nodeCount;
  const dom = snap.dominator;
  const first = new Uint32Array(N + 1);
  for (let v = 0; v < N; v++) {
    const d = dom[v]!;
    if (d !== NO_NODE && d !== v) first[d + 1]!++;
  }
  for (let v = 0; v < N; v++) first[v + 1]! += first[v]!;
  const fill = first.slice(0, N);
  const list = new Uint32Array(first[N]!);
  for (let v = 0; v < N; v++) {
    const d = dom[v]!;
    if (d !== NO_NODE && d !== v) list[fill[d]!++] = v;
  }
  const out = { first, list };
  childrenCache.set(snap, out);
  return out;
}

/**
 * Retained size per kind (index into kindTable's names): the sum of the retained sizes of the
 * kind's objects that no other object of the same kind dominates, so nested objects are not
 * counted twice (DevTools' class retained size). One iterative walk of the dominator tree.
 */
export function kindRetained(snap: HeapSnapshot): Float64Array {
  const { kindOf, names } = kindTable(snap);
  const { first, list } = dominatorChildren(snap);
  const out = new Float64Array(names.length);
  const open = new Uint32Array(names.length);
  const N = snap.nodeCount;
  const stack = new Uint32Array(N);
  const next = new Uint32Array(N);
  const r = snap.retainedSize;
  let sp = 0;
  const root = snap.rootOrdinal;
  stack[0] = root;
  next[0] = first[root]!;
  open[kindOf[root]!]!++;
  sp = 1;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    const i = next[sp - 1]!;
    if (i < first[v + 1]!) {
      next[sp - 1] = i + 1;
      const c = list[i]!;
      const k = kindOf[c]!;
      if (open[k] === 0) out[k]! += r[c]!;
      open[k]!++;
      stack[sp] = c;
      next[sp] = first[c]!;
      sp++;
    } else {
      open[kindOf[v]!]!--;
      sp--;
    }
  }
  return out;
}

/** Kind groups shown for the children too small to show one by one. */
const GROUPS = 6;

/** One tile of the retained-size tree. */
export interface TreeNode {
  /** V8 id of the object, or 0 for an aggregate tile (many small objects, of one kind when `kind` is set). */
  readonly id: number;
  readonly kind: string;
  /** The edge name by which the object is reached (`.cache`, `[3]`), or a description for aggregates. */
  readonly label: string;
  readonly preview: string;
  readonly retained: number;
  readonly self: number;
  /** For aggregates: how many objects it stands for. */
  readonly count?: number;
  /** Shown children, largest first. */
  readonly children?: TreeNode[];
  /** True when the object has dominated children that were not expanded (depth or budget). */
  readonly more?: boolean;
}

/** Limits of {@link retainedTree}. */
export interface TreeOptions {
  /** Levels below the top (default 5). */
  readonly depth?: number;
  /** Total tiles (default 2500). */
  readonly maxNodes?: number;
  /** Children shown per parent before the rest is merged (default 30). */
  readonly maxChildren?: number;
  /** Smallest tile as a fraction of the whole heap (default 0.0005: 0.05 %). */
  readonly minFraction?: number;
}

/**
 * The dominated children of `v`, with V8's synthetic nodes (the root, "(GC roots)", root lists)
 * made transparent: their children take their place, since they are bookkeeping, not memory.
 */
function visibleChildren(snap: HeapSnapshot, v: number): number[] {
  const { first, list } = dominatorChildren(snap);
  const synthetic = snap.types.synthetic;
  const out: number[] = [];
  const work = [v];
  while (work.length > 0) {
    const u = work.pop()!;
    for (let i = first[u]!, end = first[u + 1]!; i < end; i++) {
      const c = list[i]!;
      if (snap.nodeType[c] === synthetic) work.push(c);
      else out.push(c);
    }
  }
  return out;
}

/**
 * A tree of retained sizes from the root down, breadth first so that the budget goes to the top
 * levels: each parent keeps its largest children above `minFraction` of the heap (at most
 * `maxChildren`), the rest becomes one "other" tile with its count and total size.
 */
export function retainedTree(snap: HeapSnapshot, options: TreeOptions = {}): TreeNode {
  const depth = options.depth ?? 5;
  const maxNodes = options.maxNodes ?? 2500;
  const maxChildren = options.maxChildren ?? 30;
  const total = snap.retainedSize[snap.rootOrdinal]! || snap.totalSize;
  const minSize = total * (options.minFraction ?? 0.0005);
  const r = snap.retainedSize;
  const { kindOf, names } = kindTable(snap);
  interface Mutable {
    id: number;
    kind: string;
    label: string;
    preview: string;
    retained: number;
    self: number;
    count?: number;
    children?: Mutable[];
    more?: boolean;
  }
  const rootNode: Mutable = { id: snap.nodeId[snap.rootOrdinal]!, kind: '(root)', label: 'Root', preview: '', retained: total, self: 0 };
  let made = 1;
  let level: Array<{ ord: number; node: Mutable }> = [{ ord: snap.rootOrdinal, node: rootNode }];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const nextLevel: Array<{ ord: number; node: Mutable }> = [];
    for (const { ord, node } of level) {
      const kids = visibleChildren(snap, ord);
      if (kids.length === 0) continue;
      if (made >= maxNodes) {
        node.more = true;
        continue;
      }
      kids.sort((a, b) => r[b]! - r[a]! || a - b);
      const children: Mutable[] = [];
      let i = 0;
      for (; i < kids.length && i < maxChildren && made < maxNodes; i++) {
        const c = kids[i]!;
        if (r[c]! < minSize) break;
        const ref = objectRef(snap, c);
        const child: Mutable = { id: ref.id, kind: ref.kind, label: lastStep(snap, c), preview: ref.preview, retained: ref.retained, self: ref.self };
        children.push(child);
        nextLevel.push({ ord: c, node: child });
        made++;
      }
      if (i < kids.length) {
        // The rest, grouped by kind: "70,461 Session" says more than "70,461 smaller objects".
        const groups = new Map<number, { count: number; size: number }>();
        for (let j = i; j < kids.length; j++) {
          const k = kindOf[kids[j]!]!;
          const g = groups.get(k) ?? { count: 0, size: 0 };
          g.count++;
          g.size += r[kids[j]!]!;
          groups.set(k, g);
        }
        const sorted = [...groups].sort((a, b) => b[1].size - a[1].size);
        let restCount = 0;
        let restSize = 0;
        sorted.forEach(([k, g], n) => {
          if (n < GROUPS && g.size >= minSize) {
            children.push({ id: 0, kind: names[k] ?? '', label: `${g.count.toLocaleString('en-US')} × ${names[k] ?? ''}`, preview: '', retained: g.size, self: 0, count: g.count });
            made++;
          } else {
            restCount += g.count;
            restSize += g.size;
          }
        });
        if (restCount > 0) {
          children.push({ id: 0, kind: '', label: `${restCount.toLocaleString('en-US')} smaller objects`, preview: '', retained: restSize, self: 0, count: restCount });
          made++;
        }
      }
      node.children = children;
    }
    level = nextLevel;
  }
  // Objects on the last level that have children of their own can be opened further in `heapy serve`.
  for (const { ord, node } of level) if (visibleChildren(snap, ord).length > 0) node.more = true;
  return rootNode;
}

/** One dominated child: the object, the step that reaches it, and whether it has children of its own. */
export interface DominatedItem extends ObjectRef {
  readonly label: string;
  readonly hasChildren: boolean;
}

/** A page of one object's dominated children (GET /api/dominated): what the page drills into. */
export interface DominatedPage {
  /** All the children, and their retained bytes together. */
  readonly total: number;
  readonly totalSize: number;
  readonly items: readonly DominatedItem[];
}

/** The dominated children of one object, largest first (for `heapy serve`'s tree drilling). */
export function dominatedPage(snap: HeapSnapshot, ord: number, offset = 0, limit = 50): DominatedPage {
  const kids = visibleChildren(snap, ord);
  const r = snap.retainedSize;
  kids.sort((a, b) => r[b]! - r[a]! || a - b);
  let totalSize = 0;
  for (const k of kids) totalSize += r[k]!;
  const { first } = dominatorChildren(snap);
  const items = kids.slice(offset, offset + limit).map((c) => ({
    ...objectRef(snap, c),
    label: lastStep(snap, c),
    hasChildren: first[c + 1]! > first[c]!,
  }));
  return { total: kids.length, totalSize, items };
}
