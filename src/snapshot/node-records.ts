/**
 * The loops that move decoded `nodes` numbers from the parser's scratch into the node columns.
 * Plain functions over typed arrays, with the fields copied to locals: see anyNonZero for why they
 * are not methods of the parser.
 */
import type { NodeOffsets } from './header.js';

/** Returned by storeNodes when a self size needs 64-bit storage. */
export const BIG_SIZE = -2;

/** Splits whole node records of `scratch` into the field arrays; returns the first bad ordinal, BIG_SIZE, or -1. */
export function storeNodes(
  scratch: Float64Array,
  records: number,
  nf: number,
  o: NodeOffsets,
  typeCount: number,
  ord: number,
  nodeType: Uint8Array,
  nodeName: Uint32Array,
  nodeId: Uint32Array,
  selfSize: Uint32Array | Float64Array,
  firstEdge: Uint32Array,
): number {
  const oType = o.type;
  const oName = o.name;
  const oId = o.id;
  const oSize = o.size;
  const oEdges = o.edges;
  const maxSize = selfSize instanceof Uint32Array ? 0xffffffff : Number.MAX_SAFE_INTEGER;
  for (let k = 0, r = 0; r < records; r++, k += nf, ord++) {
    const t = scratch[k + oType]!;
    const name = scratch[k + oName]!;
    const id = scratch[k + oId]!;
    const size = scratch[k + oSize]!;
    if (t >= typeCount || name > 0xffffffff || id > 0xffffffff) return ord;
    if (size > maxSize) return BIG_SIZE;
    nodeType[ord] = t;
    nodeName[ord] = name;
    nodeId[ord] = id;
    selfSize[ord] = size;
    firstEdge[ord + 1] = firstEdge[ord]! + scratch[k + oEdges]!;
  }
  return -1;
}

/**
 * True if one field of the records is ever non-zero. A plain function, like the other loops here:
 * inside the method that calls it, the loop ran unoptimised whenever V8 deoptimised that method.
 */
export function anyNonZero(scratch: Float64Array, records: number, stride: number, offset: number): boolean {
  for (let k = offset, r = 0; r < records; r++, k += stride) if (scratch[k] !== 0) return true;
  return false;
}

/** Copies one field of whole records into `out`; returns true if any value is non-zero. */
export function storeField(scratch: Float64Array, records: number, stride: number, offset: number, ord: number, out: Uint32Array | Uint8Array): boolean {
  let any = 0;
  for (let k = offset, r = 0; r < records; r++, k += stride, ord++) {
    const v = scratch[k]!;
    out[ord] = v;
    any |= v === 0 ? 0 : 1;
  }
  return any !== 0;
}

/**
 * Runs the three loops on tiny records through every exit (a good record, a bad type) once; the
 * parser calls it a few times before the first file (see its warmUp for why).
 */
export function warmUpNodeRecords(): void {
  const scratch = new Float64Array(64);
  for (let k = 0; k < 14; k++) scratch[k] = k % 3;
  // The same keys in the same order as readHeader's offsets: one hidden class for both.
  const o: NodeOffsets = { type: 0, name: 1, id: 2, size: 3, edges: 4, trace: 5, detachedness: 6 };
  storeNodes(scratch, 2, 7, o, 16, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(3));
  storeNodes(scratch, 2, 7, o, 0, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(3));
  anyNonZero(scratch, 2, 7, 5);
  storeField(scratch, 2, 7, 5, 0, new Uint32Array(2));
  storeField(scratch, 2, 7, 6, 0, new Uint8Array(2));
}
