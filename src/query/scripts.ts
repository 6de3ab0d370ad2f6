/**
 * What belongs to a body of code: the functions compiled from scripts under a URL prefix, their
 * closures, the instances of the classes they define, and everything those dominate (the code V8
 * compiled for them, their contexts, the data their objects hold). hpy() uses it to leave heapy's
 * own objects out of a heap it shows.
 *
 * The links, as V8 11 writes them: a SharedFunctionInfo (type code) has an internal edge
 * `script_or_debug_info` to its Script, a code node named by the script's URL; a closure has an
 * internal edge `shared` to its SharedFunctionInfo, an internal edge `context` to the context
 * holding the variables it closes over, and a property `prototype`; an instance has a property
 * `__proto__` to that prototype.
 */
import type { HeapSnapshot } from '../snapshot/index.js';
import { dominatedOrdinals, ordinalsOfMarks } from './sets.js';

/**
 * Every object of `snap` that the code of scripts whose URL starts with `urlPrefix` owns: its
 * functions, closures and class instances, with all they dominate. Sorted ordinals.
 */
export function ownedByScripts(snap: HeapSnapshot, urlPrefix: string): Uint32Array {
  const N = snap.nodeCount;
  const { nodeName, nodeType, firstEdge, edgeTo, edgeName, firstRetainer } = snap;
  const names = new Set<number>();
  for (const i of snap.stringsContaining(urlPrefix)) if (snap.string(i).startsWith(urlPrefix)) names.add(i);
  const own = new Uint8Array(N);
  if (names.size === 0) return new Uint32Array(0);
  const scriptEdge = snap.stringIndex('script_or_debug_info');
  const sharedEdge = snap.stringIndex('shared');
  const prototypeEdge = snap.stringIndex('prototype');
  const contextEdge = snap.stringIndex('context');
  const protoEdge = snap.stringIndex('__proto__');
  const code = snap.types.code;
  const closure = snap.types.closure;
  // Scripts, then the functions compiled from them (retainers through script_or_debug_info).
  const functions: number[] = [];
  for (let v = 0; v < N; v++) {
    if (nodeType[v] !== code || !names.has(nodeName[v]!)) continue;
    for (let k = firstRetainer[v]!, end = firstRetainer[v + 1]!; k < end; k++) {
      const r = snap.retainerNode(k);
      if (own[r] || nodeType[r] !== code) continue;
      if (edgeNameOf(snap, r, v) === scriptEdge) {
        own[r] = 1;
        functions.push(r);
      }
    }
  }
  // Closures of those functions, then the instances of the classes among them.
  for (const f of functions) {
    for (let k = firstRetainer[f]!, end = firstRetainer[f + 1]!; k < end; k++) {
      const c = snap.retainerNode(k);
      if (own[c] || nodeType[c] !== closure || edgeNameOf(snap, c, f) !== sharedEdge) continue;
      own[c] = 1;
      for (let e = firstEdge[c]!, ee = firstEdge[c + 1]!; e < ee; e++) {
        if (snap.edgeHasIndex(e)) continue;
        // The closure's context holds the variables of heapy's functions (a suspended async
        // function shares it with its generator, which nothing of heapy's dominates).
        if (edgeName[e] === contextEdge) own[edgeTo[e]!] = 1;
        if (edgeName[e] !== prototypeEdge) continue;
        const proto = edgeTo[e]!;
        own[proto] = 1;
        for (let k2 = firstRetainer[proto]!, end2 = firstRetainer[proto + 1]!; k2 < end2; k2++) {
          const inst = snap.retainerNode(k2);
          if (inst !== c && edgeNameOf(snap, inst, proto) === protoEdge) own[inst] = 1;
        }
      }
    }
  }
  return dominatedOrdinals(snap, ordinalsOfMarks(own));
}

/** The string index naming the first named edge from `from` to `to`, or -1. */
function edgeNameOf(snap: HeapSnapshot, from: number, to: number): number {
  const { firstEdge, edgeTo, edgeName } = snap;
  for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++) {
    if (edgeTo[e] === to && !snap.edgeHasIndex(e)) return edgeName[e]!;
  }
  return -1;
}

/**
 * Of `fresh` (sorted ordinals of objects allocated after a reference point), the compiled code V8
 * made for functions that already existed then: code-type nodes reached from an older function
 * or code object through fresh code only. That is the JIT re-tiering whatever ran since (heapy's
 * own capture included), not memory the application allocated; a function created since (a new
 * script, an eval) keeps its code, since only fresh nodes lead to it.
 */
export function recompiledCode(snap: HeapSnapshot, fresh: Uint32Array): Uint32Array {
  const N = snap.nodeCount;
  const { nodeType, firstEdge, edgeTo, edgeType } = snap;
  const code = snap.types.code;
  const closure = snap.types.closure;
  const weak = snap.types.edgeWeak;
  const mark = new Uint8Array(N);
  for (let j = 0; j < fresh.length; j++) mark[fresh[j]!] = 1; // 1 = fresh, 2 = recompiled code
  const queue: number[] = [];
  const visit = (from: number): void => {
    for (let e = firstEdge[from]!, end = firstEdge[from + 1]!; e < end; e++) {
      const t = edgeTo[e]!;
      if (mark[t] === 1 && nodeType[t] === code && edgeType[e] !== weak) {
        mark[t] = 2;
        queue.push(t);
      }
    }
  };
  for (let v = 0; v < N; v++) if (mark[v] === 0 && (nodeType[v] === code || nodeType[v] === closure)) visit(v);
  while (queue.length > 0) visit(queue.pop()!);
  for (let v = 0; v < N; v++) if (mark[v] !== 2) mark[v] = 0;
  return ordinalsOfMarks(mark);
}
