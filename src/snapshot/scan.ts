/**
 * The number scanner both parsing threads use: the main thread on the front of the file
 * (parser.ts), the edge worker on the tail of the edges array (edge-worker.ts).
 */
import type { NodeOffsets } from './header.js';

/** Scanner state shared between calls, so that numbers and records can span chunks. */
export interface ScanState {
  i: number;
  n: number;
  cur: number;
  inNum: boolean;
  afterNum: boolean;
  anyNumber: boolean;
  ended: boolean;
  /** 0, or one of the SCAN_* problems, found at byte `errorAt` of the chunk. */
  error: number;
  errorAt: number;
}

/** A digit right after a number. */
export const SCAN_MISSING_COMMA = 1;
/** Two separators in a row. */
export const SCAN_EMPTY_SEPARATOR = 2;
/** A separator before the closing bracket. */
export const SCAN_TRAILING_COMMA = 3;
/** A byte that belongs to no number. */
export const SCAN_BAD_BYTE = 4;
/** A sign or a decimal point. */
export const SCAN_NOT_INTEGER = 5;

/**
 * The hot loop: decodes comma-separated non-negative integers from buf[st.i..end) into scratch,
 * with no per-field logic (records are split into fields afterwards). It is a plain function with
 * nothing after its loop, because V8 deoptimises optimised code that reaches branches it never
 * saw run: as a method with checks after the loop it was deoptimised on every chunk.
 */
export function scanNumbers(buf: Uint8Array, end: number, scratch: Float64Array, st: ScanState): void {
  const cap = scratch.length;
  let i = st.i;
  let n = st.n;
  let v = st.cur;
  let inNum = st.inNum;
  let afterNum = st.afterNum;
  let d = 0;
  if (inNum) {
    // A number split across two chunks: carry on with its digits.
    while (i < end && ((d = buf[i]! - 0x30) >>> 0) < 10) {
      v = v * 10 + d;
      i++;
    }
    if (i < end) {
      scratch[n++] = v;
      inNum = false;
      afterNum = true;
      st.anyNumber = true;
    }
  }
  while (i < end) {
    const c = buf[i]!;
    d = c - 0x30;
    if ((d >>> 0) < 10) {
      if (afterNum) {
        st.error = SCAN_MISSING_COMMA;
        break;
      }
      // Scratch full: stop here; the caller stores the whole records and calls again.
      if (n >= cap) break;
      v = d;
      while (++i < end && ((d = buf[i]! - 0x30) >>> 0) < 10) v = v * 10 + d;
      if (i === end) {
        inNum = true;
        break;
      }
      scratch[n++] = v;
      if (buf[i] === 0x2c) i++;
      else afterNum = true;
      continue;
    }
    if (c === 0x2c) {
      if (!afterNum) {
        st.error = SCAN_EMPTY_SEPARATOR;
        break;
      }
      afterNum = false;
      i++;
      continue;
    }
    if (c === 0x0a || c === 0x20 || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    if (c === 0x5d) {
      if (!afterNum && (n > 0 || st.anyNumber)) {
        st.error = SCAN_TRAILING_COMMA;
        break;
      }
      st.ended = true;
      afterNum = false;
      i++;
      break;
    }
    st.error = c === 0x2d || c === 0x2e ? SCAN_NOT_INTEGER : SCAN_BAD_BYTE;
    break;
  }
  if (n > 0) st.anyNumber = true;
  st.errorAt = i;
  st.i = i;
  st.n = n;
  st.cur = inNum ? v : 0;
  st.inNum = inNum;
  st.afterNum = afterNum;
}

/** Splits whole edge records of `scratch` into the edge arrays; returns the first bad edge or -1. */
export function storeEdges(
  scratch: Float64Array,
  records: number,
  ef: number,
  nf: number,
  oType: number,
  oName: number,
  oTo: number,
  typeCount: number,
  limit: number,
  ord: number,
  edgeType: Uint8Array,
  edgeName: Uint32Array,
  edgeTo: Uint32Array,
): number {
  for (let k = 0, r = 0; r < records; r++, k += ef, ord++) {
    const t = scratch[k + oType]!;
    const name = scratch[k + oName]!;
    const to = scratch[k + oTo]!;
    const toOrd = to / nf;
    if (t >= typeCount || name > 0xffffffff || to >= limit || toOrd !== Math.floor(toOrd)) return ord;
    edgeType[ord] = t;
    edgeName[ord] = name;
    edgeTo[ord] = toOrd;
  }
  return -1;
}


/** A fresh scanner state. */
export function newScanState(): ScanState {
  return { i: 0, n: 0, cur: 0, inNum: false, afterNum: false, anyNumber: false, ended: false, error: 0, errorAt: 0 };
}

/**
 * Readies `st` for a new run of numbers: at the start of an array (`atSeparator` false), or at
 * the start of a line of records that begins with the comma ending the previous record (true).
 */
export function resetScanState(st: ScanState, atSeparator: boolean): void {
  st.n = 0;
  st.cur = 0;
  st.inNum = false;
  st.afterNum = atSeparator;
  st.anyNumber = atSeparator;
  st.ended = false;
  st.error = 0;
}

/** The message for a problem scanNumbers reported, in the section named `what` (e.g. `"edges"`). */
export function scanProblem(error: number, what: string, byte: number): string {
  switch (error) {
    case SCAN_MISSING_COMMA:
      return `a missing comma in ${what}`;
    case SCAN_EMPTY_SEPARATOR:
      return `a separator without a number in ${what}`;
    case SCAN_TRAILING_COMMA:
      return `a trailing comma in ${what}`;
    case SCAN_NOT_INTEGER:
      return `${what} holds a number that is not a non-negative integer`;
    default:
      return `unexpected byte '${String.fromCharCode(byte)}' in ${what}`;
  }
}

/**
 * Runs scanNumbers and storeEdges on tiny inputs that take every branch (a number split across
 * chunks, whitespace, the closing bracket, a bad record), so that V8 has type feedback for all of
 * them before it optimises the loops mid-run. Without this the optimised code is thrown away at
 * the first rare branch of each chunk (seen with --trace-deopt: a dozen deopts per file).
 */
export function warmUpScanner(): void {
  const scratch = new Float64Array(64);
  for (let round = 0; round < 3; round++) {
    const st = newScanState();
    const a = Buffer.from('1,2\n,3 ,4');
    scanNumbers(a, a.length, scratch, st);
    const b = Buffer.from('5,6,7,8,9]');
    st.i = 0;
    scanNumbers(b, b.length, scratch, st);
    const c = Buffer.from('1,,2');
    scanNumbers(c, c.length, scratch, newScanState());
    for (let k = 0; k < 14; k++) scratch[k] = k % 3;
    storeEdges(scratch, 2, 3, 1, 0, 1, 2, 8, 100, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2));
    storeEdges(scratch, 2, 3, 7, 0, 1, 2, 8, 100, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2));
  }
}

// The loops that move decoded `nodes` numbers from the scratch into the node columns: plain
// functions over typed arrays with the fields copied to locals (see anyNonZero for why).

/** Returned by storeNodes when a self size needs 64-bit storage. */
export const BIG_SIZE = -2;

/**
 * Splits whole node records of `scratch` into the field arrays; returns the first bad ordinal
 * (see {@link nodeRecordProblem} for why), BIG_SIZE, or -1. `edgeCount` bounds the running sum
 * of the records' edge counts: the first-edge column is 32-bit, so a sum that wrapped past 2^32
 * could otherwise land on the header's edge_count and send the analysis down phantom edges (a
 * 400-byte file with 2^27 of them took 51 s).
 */
export function storeNodes(
  scratch: Float64Array,
  records: number,
  nf: number,
  o: NodeOffsets,
  typeCount: number,
  edgeCount: number,
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
  const wide = selfSize instanceof Float64Array;
  const maxSize = wide ? Number.MAX_SAFE_INTEGER : 0xffffffff;
  // The sum so far, as a double: exact up to 2^53, far past any edge_count.
  let edges = firstEdge[ord]!;
  for (let k = 0, r = 0; r < records; r++, k += nf, ord++) {
    const t = scratch[k + oType]!;
    const name = scratch[k + oName]!;
    const id = scratch[k + oId]!;
    const size = scratch[k + oSize]!;
    edges += scratch[k + oEdges]!;
    if (t >= typeCount || name > 0xffffffff || id > 0xffffffff || edges > edgeCount) return ord;
    if (size > maxSize) return wide ? ord : BIG_SIZE;
    nodeType[ord] = t;
    nodeName[ord] = name;
    nodeId[ord] = id;
    selfSize[ord] = size;
    firstEdge[ord + 1] = edges;
  }
  return -1;
}

/**
 * Why the node record at `k` in `scratch` was refused by storeNodes, as a message about node
 * `ord`; `edgesBefore` is the sum of the edge counts of the nodes before it.
 */
export function nodeRecordProblem(scratch: Float64Array, k: number, o: NodeOffsets, typeCount: number, edgeCount: number, edgesBefore: number, ord: number): string {
  const own = scratch[k + o.edges]!;
  if (edgesBefore + own > edgeCount) {
    return `node ${ord} claims ${own} edges but only ${edgeCount - edgesBefore} of edge_count (${edgeCount}) are left`;
  }
  if (scratch[k + o.size]! > Number.MAX_SAFE_INTEGER) return `node ${ord} has a self size beyond 2^53 (${scratch[k + o.size]})`;
  const t = scratch[k + o.type]!;
  if (t >= typeCount) return `node ${ord} has type ${t}, past the ${typeCount} node types`;
  if (scratch[k + o.name]! > 0xffffffff) return `node ${ord} has a name index beyond 2^32 (${scratch[k + o.name]})`;
  return `node ${ord} has an id beyond 2^32 (${scratch[k + o.id]})`;
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
  storeNodes(scratch, 2, 7, o, 16, 100, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(3));
  storeNodes(scratch, 2, 7, o, 0, 100, 0, new Uint8Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(2), new Uint32Array(3));
  anyNonZero(scratch, 2, 7, 5);
  storeField(scratch, 2, 7, 5, 0, new Uint32Array(2));
  storeField(scratch, 2, 7, 6, 0, new Uint8Array(2));
}
