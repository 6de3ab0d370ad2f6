/**
 * The checks that can only run once the whole file is read: every name a node or an edge gives
 * must be in the string table, which comes after the nodes and edges.
 */
import type { TypeIds } from './meta.js';
import type { Fail } from './raw.js';

/** The first index whose value is at least `limit`, or -1. */
function firstAtLeast(values: Uint32Array, limit: number): number {
  // Branch-free maximum first: the common case (no bad value) is one tight pass.
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (max < limit) return -1;
  for (let i = 0; i < values.length; i++) if (values[i]! >= limit) return i;
  return -1;
}

/** The first edge whose name is a string index (not an element or hidden index) past `count`, or -1. */
function firstBadEdgeName(edgeType: Uint8Array, edgeName: Uint32Array, elem: number, hidden: number, count: number): number {
  let max = 0;
  for (let e = 0; e < edgeName.length; e++) {
    const t = edgeType[e];
    const n = t === elem || t === hidden ? 0 : edgeName[e]!;
    max = Math.max(max, n);
  }
  if (max < count) return -1;
  for (let e = 0; e < edgeName.length; e++) {
    const t = edgeType[e];
    if (t !== elem && t !== hidden && edgeName[e]! >= count) return e;
  }
  return -1;
}

/**
 * Fails on the first node name, then the first property-like edge name, past the `stringCount`
 * strings. Element and hidden edges hold an index there, not a string.
 */
export function checkNames(nodeName: Uint32Array, edgeType: Uint8Array, edgeName: Uint32Array, types: TypeIds, stringCount: number, fail: Fail): void {
  const badNode = firstAtLeast(nodeName, stringCount);
  if (badNode >= 0) fail(`node ${badNode} names string ${nodeName[badNode]}, past the ${stringCount} strings`, -1);
  const badEdge = firstBadEdgeName(edgeType, edgeName, types.edgeElement, types.edgeHidden, stringCount);
  if (badEdge >= 0) fail(`edge ${badEdge} names string ${edgeName[badEdge]}, past the ${stringCount} strings`, -1);
}
