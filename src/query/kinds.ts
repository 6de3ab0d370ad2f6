/**
 * guppy's "clodo" relation in V8 terms: the class of each node, with internal backing stores
 * attributed to the object that owns them ("properties of Foo", "elements of Array").
 */
import { NO_DISTANCE, NO_NODE, type HeapSnapshot } from '../snapshot/index.js';

/** Kind of every node of a snapshot, as small integers into a name table. */
export interface KindTable {
  /** Kind index per node ordinal (16 bits while there are fewer than 65,536 kinds). */
  readonly kindOf: Uint16Array | Uint32Array;
  /** Kind names by index. */
  readonly names: readonly string[];
  /** For kinds that label an owned store, the owner's kind index; else -1. */
  readonly ownerKind: Int32Array;
}

const cache = new WeakMap<HeapSnapshot, KindTable>();

const PROPERTIES = 1;
const ELEMENTS = 2;
const TABLE = 3;
const INTERNALS = 4;
const PREFIX = ['', 'properties of ', 'elements of ', 'table of ', 'internals of '];

/** The kind of each node: DevTools' class name, or "<store> of <owner class>" for owned stores. */
export function kindTable(snap: HeapSnapshot): KindTable {
  const hit = cache.get(snap);
  if (hit) return hit;
  const N = snap.nodeCount;
  // 16-bit kinds halve the table (28 MB instead of 57 MB for 14 M nodes); past 65,535 kinds the
  // table is widened once.
  let kindOf: Uint16Array | Uint32Array = new Uint16Array(N);
  const names: string[] = [];
  const ownerKinds: number[] = [];
  const byName = new Map<string, number>();
  const intern = (name: string, ownerKind: number) => {
    let k = byName.get(name);
    if (k === undefined) {
      k = names.length;
      if (k === 0xffff && kindOf instanceof Uint16Array) kindOf = Uint32Array.from(kindOf);
      names.push(name);
      ownerKinds.push(ownerKind);
      byName.set(name, k);
    }
    return k;
  };
  const { nodeType, nodeName, owner, types } = snap;
  // Objects and native nodes are named by their constructor: cache per string index, so the
  // loop costs one typed-array read per node instead of a Map lookup.
  const byString = new Int32Array(snap.stringTable.length).fill(-1);
  const byType = new Int32Array(snap.meta.nodeTypes.length).fill(-1);
  const byNative = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const t = nodeType[i]!;
    if (t === types.object) {
      const s = nodeName[i]!;
      let k = byString[s]!;
      if (k < 0) {
        k = intern(ownKindName(snap, i), -1);
        byString[s] = k;
      }
      kindOf[i] = k;
    } else if (t === types.native) {
      // Natives are named like objects, but DOM names are shortened and detached ones prefixed.
      const key = nodeName[i]! * 4 + (snap.nodeDetachedness ? snap.nodeDetachedness[i]! : 0);
      let k = byNative.get(key);
      if (k === undefined) {
        k = intern(ownKindName(snap, i), -1);
        byNative.set(key, k);
      }
      kindOf[i] = k;
    } else {
      let k = byType[t]!;
      if (k < 0) {
        k = intern(ownKindName(snap, i), -1);
        byType[t] = k;
      }
      kindOf[i] = k;
    }
  }
  // Second pass: owned stores take their owner's kind with a prefix. Owners are never owned
  // themselves, so their kinds are final after the first pass.
  const stores = storeNames(snap);
  const prefixed = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const o = owner[i]!;
    if (o === NO_NODE) continue;
    const p = storePrefix(snap, stores, i, o);
    const ok = kindOf[o]!;
    const key = ok * 8 + p;
    let k = prefixed.get(key);
    if (k === undefined) {
      k = intern(PREFIX[p]! + names[ok]!, ok);
      prefixed.set(key, k);
    }
    kindOf[i] = k;
  }
  const table: KindTable = { kindOf, names, ownerKind: Int32Array.from(ownerKinds) };
  cache.set(snap, table);
  return table;
}

/** A node's kind when it is not an owned store: the constructor name of objects, else DevTools' class name. */
function ownKindName(snap: HeapSnapshot, i: number): string {
  return snap.nodeType[i] === snap.types.object ? snap.nodeNameString(i) : snap.className(i);
}

/** String indexes of the names V8 gives property and element stores (-1 when absent). */
interface StoreNames {
  readonly props: number;
  readonly propArray: number;
  readonly elements: number;
}

function storeNames(snap: HeapSnapshot): StoreNames {
  const t = snap.stringTable;
  return { props: t.indexOf('(object properties)'), propArray: t.indexOf('system / PropertyArray'), elements: t.indexOf('(object elements)') };
}

/** Which PREFIX store `i`, owned by `o`, is: properties, elements, a table (edge named `table`) or internals. */
function storePrefix(snap: HeapSnapshot, stores: StoreNames, i: number, o: number): number {
  const s = snap.nodeName[i]!;
  if (s === stores.props || s === stores.propArray) return PROPERTIES;
  if (s === stores.elements) return ELEMENTS;
  return directEdgeName(snap, o, i) === 'table' ? TABLE : INTERNALS;
}

/**
 * The kind name of one node, as {@link kindTable} names it, without building the table: for views
 * that name a few rows (`summary --retained` names ~20 of 330 k nodes; the table took 25 ms there).
 */
export function kindNamer(snap: HeapSnapshot): (ord: number) => string {
  const hit = cache.get(snap);
  if (hit) return (ord) => hit.names[hit.kindOf[ord]!]!;
  let stores: StoreNames | undefined;
  return (ord) => {
    const o = snap.owner[ord]!;
    if (o === NO_NODE) return ownKindName(snap, ord);
    stores ??= storeNames(snap);
    return PREFIX[storePrefix(snap, stores, ord, o)]! + ownKindName(snap, o);
  };
}

/** Name of an edge from `from` straight to `to`, or undefined when there is none. */
function directEdgeName(snap: HeapSnapshot, from: number, to: number): string | undefined {
  const { firstEdge, edgeTo } = snap;
  for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++) {
    if (edgeTo[e] === to) return snap.edgeNameString(e);
  }
  return undefined;
}

/**
 * True for the objects of the heap heapy totals: those a strong path from the roots reaches, V8's
 * synthetic root nodes left out (see docs/definitions.md, "Reachable set"). Here beside the kind
 * table because both views of `heapy summary` load this module (see the module-count test).
 */
export function isReachableObject(snap: HeapSnapshot, ord: number): boolean {
  return snap.distance[ord] !== NO_DISTANCE && snap.nodeType[ord] !== snap.types.synthetic;
}

/** How many objects {@link isReachableObject} accepts, and their self sizes added up: the heap's total. */
export function reachableTotal(snap: HeapSnapshot): { count: number; size: number } {
  const self = snap.nodeSelfSize;
  let count = 0;
  let size = 0;
  for (let i = 0, N = snap.nodeCount; i < N; i++) {
    if (!isReachableObject(snap, i)) continue;
    count++;
    size += self[i]!;
  }
  return { count, size };
}
