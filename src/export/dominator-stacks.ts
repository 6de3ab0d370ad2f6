/**
 * A snapshot as stacks of kinds along the dominator tree: each reachable object's stack is the
 * chain of kinds from the root down the dominator tree to it, its own kind the leaf. Weighted by
 * self size, a flame graph of these stacks shows who holds what: a frame's total is the retained
 * size of the objects of that kind at that position.
 *
 * Identical stacks are merged in a trie of typed arrays (one trie node per distinct stack, keyed
 * by its parent's id and its frame); the per-object state is one Int32Array of trie ids.
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from '../query/kinds.js';
import { reachableOrdinals } from '../query/sets.js';

/** Frames a stack keeps: flame graphs are unreadable deeper, and a linked list of 100,000 nodes is 100,000 dominators deep. */
export const MAX_STACK_DEPTH = 64;
/**
 * Distinct stacks kept. A big heap can have millions of distinct kind chains, most holding a few
 * bytes; 100,000 trie nodes cost 2.5 MB of typed arrays here and bound the pprof file (at most
 * 64 location ids per stack). Objects are visited in ordinal order; once the trie is full, an
 * object whose stack is new is counted in its nearest holder's stack instead (its bytes stay in
 * the totals, under the holder's kind), and {@link DominatorStacks.folded} says how many were.
 */
export const MAX_STACKS = 100_000;

/** Stacks of kinds along the dominator tree, as a trie; node 0 is the empty stack (the root). */
export interface DominatorStacks {
  /** Frame names: the kinds, then the elision frame. */
  frameNames: readonly string[];
  /** Frame index of the elision frame that stands for the dominators between the 62nd frame and the leaf. */
  elidedFrame: number;
  /** Trie node count (at most MAX_STACKS + 1). */
  size: number;
  /** Parent trie node per trie node (-1 for node 0). */
  parent: Int32Array;
  /** Frame index per trie node (-1 for node 0). */
  frame: Int32Array;
  /** Objects whose stack ends at this trie node. */
  count: Float64Array;
  /** Sum of their self sizes. */
  bytes: Float64Array;
  /** Objects counted, and their total self size (the summary's totals). */
  totalCount: number;
  totalBytes: number;
  /** Objects counted under a holder's stack because the trie was full. */
  folded: number;
}

/**
 * Builds the stacks of every reachable object (the set `heapy summary` counts: reached from the
 * roots, synthetic nodes left out). A stack deeper than MAX_STACK_DEPTH keeps its outermost
 * MAX_STACK_DEPTH - 2 frames, then the elision frame, then the object's kind.
 */
export function dominatorStacks(snap: HeapSnapshot): DominatorStacks {
  const { kindOf, names } = kindTable(snap);
  const elidedFrame = names.length;
  const frameNames = [...names, '(deeper dominators)'];
  const F = frameNames.length;
  const { dominator, nodeSelfSize, rootOrdinal } = snap;
  const cap = MAX_STACKS + 1;
  const parent = new Int32Array(cap);
  const frame = new Int32Array(cap);
  const depth = new Uint8Array(cap);
  const count = new Float64Array(cap);
  const bytes = new Float64Array(cap);
  parent[0] = -1;
  frame[0] = -1;
  let size = 1;
  // parent * F + frame stays below 2^53: at most 100,001 * (2^32 + 1).
  const children = new Map<number, number>();
  const child = (p: number, f: number): number => {
    const key = p * F + f;
    let c = children.get(key);
    if (c === undefined) {
      if (size === cap) return -1;
      c = size++;
      parent[c] = p;
      frame[c] = f;
      depth[c] = depth[p]! + 1;
      children.set(key, c);
    }
    return c;
  };

  // Per object: its trie node when its stack is exact (>= 0), unknown (-1), or folded into trie
  // node p (-p - 2): its own chain was cut, at the depth limit or because the trie was full.
  const pathOf = new Int32Array(snap.nodeCount).fill(-1);
  pathOf[rootOrdinal] = 0;
  const limit = MAX_STACK_DEPTH - 2;
  const climb: number[] = [];
  const ords = reachableOrdinals(snap);
  let totalCount = 0;
  let totalBytes = 0;
  let folded = 0;
  for (let k = 0; k < ords.length; k++) {
    const v = ords[k]!;
    // Climb the dominator tree to the nearest object whose stack is known, then come back down.
    let u = v;
    let base = 0;
    climb.length = 0;
    for (;;) {
      const known = pathOf[u]!;
      if (known !== -1) {
        base = known;
        break;
      }
      climb.push(u);
      const d = dominator[u]!;
      if (d === NO_NODE) break; // hung under the root
      u = d;
    }
    for (let i = climb.length - 1; i >= 0; i--) {
      const w = climb[i]!;
      if (base < 0) {
        pathOf[w] = base; // below a cut chain, stay in it
        continue;
      }
      if (depth[base]! >= limit) {
        base = -base - 2;
      } else {
        const c = child(base, kindOf[w]!);
        base = c >= 0 ? c : -base - 2;
      }
      pathOf[w] = base;
    }
    const p = pathOf[v]!;
    let s: number;
    if (p >= 0) s = p;
    else {
      const cut = -p - 2;
      // Cut at the depth limit: elision frame, then the object's own kind. Cut because the trie
      // is full (or full now): the holder's stack.
      const e = depth[cut]! >= limit ? child(cut, elidedFrame) : -1;
      const leaf = e >= 0 ? child(e, kindOf[v]!) : -1;
      s = leaf >= 0 ? leaf : cut;
      if (s === cut) folded++;
    }
    const b = nodeSelfSize[v]!;
    count[s]! += 1;
    bytes[s]! += b;
    totalCount++;
    totalBytes += b;
  }
  return { frameNames, elidedFrame, size, parent, frame, count, bytes, totalCount, totalBytes, folded };
}
