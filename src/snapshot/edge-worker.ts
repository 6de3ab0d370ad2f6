/**
 * The second core's share of parsing a big snapshot: the tail of the `edges` array, decoded
 * from its end towards its middle straight into the shared edge arrays.
 *
 * Why from the end: the thread that reads the file from the front cannot know how many edges come
 * before a byte offset until it gets there. From the back, the last edge is number E-1, so this
 * thread can write every edge in place while the main thread parses the nodes and the first part
 * of the edges. The two parts meet at a line break: V8 and Chromium write one record a line
 * ("\n," between records), which makes any line break a record boundary.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { newScanState, resetScanState, SCAN_MISSING_COMMA, scanNumbers, scanProblem, storeEdges, warmUpScanner } from './scan.js';

/** What the loader passes to the worker. */
export interface EdgeWorkerInput {
  readonly path: string;
  readonly fileSize: number;
  /** Byte offset of the first byte after `"nodes":[`. */
  readonly nodesStart: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly nodeFieldCount: number;
  readonly edgeFieldCount: number;
  readonly typeField: number;
  readonly nameField: number;
  readonly toField: number;
  readonly edgeTypeCount: number;
  readonly edgeType: Uint8Array;
  readonly edgeName: Uint32Array;
  readonly edgeTo: Uint32Array;
  /** KiB of the tail decoded so far, [0] stored after each block (the loader's progress bar). */
  readonly decodedKiB: Int32Array;
}

/** Messages from the worker. */
export type EdgeWorkerMessage =
  | { readonly type: 'plan'; readonly edgesStart: number; readonly edgesEnd: number; readonly split: number }
  | { readonly type: 'unsupported'; readonly reason: string }
  | { readonly type: 'done'; readonly records: number }
  | { readonly type: 'error'; readonly message: string; readonly offset: number }
  /** The tail is not one record a line after all: the loader parses the file again on one thread. */
  | { readonly type: 'layout'; readonly reason: string };

// The byte searches of the plan find their byte within a few bytes: small reads, few page faults.
const BLOCK = 64 * 1024;

class Failure extends Error {
  readonly offset: number;
  /** True if the file may be valid, only not laid out one record a line as this thread needs. */
  readonly layout: boolean;
  constructor(message: string, offset: number, layout = false) {
    super(message);
    this.offset = offset;
    this.layout = layout;
  }
}

/** Finds the first byte `b` at or after `from`, reading forward; -1 at the end of the file. */
function findForward(fd: number, size: number, from: number, b: number): number {
  const buf = Buffer.allocUnsafe(BLOCK);
  for (let pos = from; pos < size; pos += BLOCK) {
    const n = readSync(fd, buf, 0, Math.min(BLOCK, size - pos), pos);
    const at = buf.subarray(0, n).indexOf(b);
    if (at >= 0) return pos + at;
  }
  return -1;
}

function readAt(fd: number, pos: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  const n = readSync(fd, buf, 0, length, pos);
  return buf.subarray(0, n);
}

/** Locates the edges array and the line break where the two threads' shares meet. */
function plan(fd: number, input: EdgeWorkerInput): { edgesStart: number; edgesEnd: number; split: number } | string {
  const { fileSize, nodesStart, nodeCount: N, edgeCount: E, nodeFieldCount: nf, edgeFieldCount: ef } = input;
  // Numbers hold no quotes, so the first quote after the nodes is the next key. Each number takes
  // at least two bytes, which lets the search start far into the section.
  const keyQuote = findForward(fd, fileSize, nodesStart + Math.max(0, 2 * N * nf - 1), 0x22);
  if (keyQuote < 0) return 'no key after "nodes"';
  const head = readAt(fd, keyQuote, 64).toString('latin1');
  const m = /^"edges"\s*:\s*\[/.exec(head);
  if (!m) return '"edges" does not follow "nodes"';
  const edgesStart = keyQuote + m[0].length;
  const nextQuote = findForward(fd, fileSize, edgesStart + Math.max(0, 2 * E * ef - 1), 0x22);
  const tailFrom = nextQuote < 0 ? fileSize : nextQuote;
  // The closing bracket is the last ']' before the next key (or the end of the file).
  const tail = readAt(fd, Math.max(edgesStart, tailFrom - 256), tailFrom - Math.max(edgesStart, tailFrom - 256));
  const close = tail.lastIndexOf(0x5d);
  if (close < 0) return 'no end of "edges" found';
  const edgesEnd = Math.max(edgesStart, tailFrom - 256) + close;
  // This thread takes 55% of all the numbers (nodes and edges) from the back: the main thread
  // also parses the sections after the edges (locations, strings) while this one finishes.
  // Measured on the 1.1 GB bench file (parse phase): 1.41 s at 50%, 1.33 s at 55%, 1.43-1.52 s at 60%.
  const total = edgesEnd - nodesStart;
  let split = Math.max(edgesStart, edgesEnd - Math.floor(total * 0.55));
  const nl = findForward(fd, fileSize, split, 0x0a);
  if (nl < 0 || nl >= edgesEnd) return 'edges are not one record a line';
  // The same JSON may be laid out otherwise (",\n" between records, several records a line): the
  // line at the split must be one whole record after a number, or the main thread parses it all.
  const line = readAt(fd, nl - 1, 2 + 11 * ef).toString('latin1');
  if (!new RegExp(`^\\d\\n,\\d+(?:,\\d+){${ef - 1}}[\\n\\]]`).test(line)) return 'edges are not one record a line';
  split = nl;
  return { edgesStart, edgesEnd, split };
}

// Blocks of the tail are read from the back; each is decoded forwards. 256 KiB keeps the block
// and its numbers (at most one a two bytes: 1 MiB of doubles) in the CPU's cache.
const TAIL_BLOCK = 256 * 1024;

/**
 * Decodes the records in (split, edgesEnd). The blocks go from the back, so that the index of
 * each block's last record is known (the last edge is E-1); inside a block the records are decoded
 * forwards by the same scanner as the main thread's, from the block's first line break on. The
 * bytes before that line break end the previous block. Returns how many records it stored; throws
 * a Failure with the byte offset on anything that is not `\n,n,n,n\n,n,n,n...`.
 */
function decodeTail(fd: number, input: EdgeWorkerInput, split: number, edgesEnd: number): number {
  const { edgeCount: E, nodeFieldCount: nf, edgeFieldCount: ef, typeField, nameField, toField, edgeTypeCount } = input;
  const { edgeType, edgeName, edgeTo } = input;
  const limit = input.nodeCount * nf;
  const buf = Buffer.allocUnsafe(TAIL_BLOCK);
  const scratch = new Float64Array(TAIL_BLOCK / 2 + 1);
  const st = newScanState();
  warmUpScanner();
  let next = E; // the records from `next` on are stored
  let pos = edgesEnd; // exclusive end of what is still to decode
  while (pos > split) {
    const from = Math.max(split, pos - TAIL_BLOCK);
    const n = readSync(fd, buf, 0, pos - from, from);
    if (n !== pos - from) throw new Failure('short read', from);
    // From the split itself, or from the block's first line break.
    const start = from === split ? 0 : buf.indexOf(0x0a);
    if (start < 0 || start >= n) throw new Failure('a line of "edges" longer than 256 KiB: not one record a line', from, true);
    // Each line starts with the comma that ends the previous record.
    resetScanState(st, true);
    st.i = start;
    scanNumbers(buf, n, scratch, st);
    // A digit right after the line break: records end their line with the comma (",\n"), which
    // only says that this layout is not the one this thread can split.
    if (st.error === SCAN_MISSING_COMMA && st.errorAt === start + 1) throw new Failure('the edges are not one record a line', from + start, true);
    if (st.error !== 0) throw new Failure(scanProblem(st.error, '"edges"', buf[st.errorAt] ?? 0), from + st.errorAt);
    if (st.i < n && !st.inNum) throw new Failure('the edges are not one record a line', from + st.i, true);
    let count = st.n;
    if (st.inNum) scratch[count++] = st.cur;
    else if (!st.afterNum) throw new Failure('a trailing comma in "edges"', pos - 1);
    if (count % ef !== 0) throw new Failure('the edges are not one record a line', from + start, true);
    const records = count / ef;
    if (records > next) throw new Failure(`"edges" holds more than edge_count (${E}) edges`, from + start);
    next -= records;
    const bad = storeEdges(scratch, records, ef, nf, typeField, nameField, toField, edgeTypeCount, limit, next, edgeType, edgeName, edgeTo);
    if (bad >= 0) throw new Failure(`edge ${bad} has a type, name or target out of range`, from + start);
    pos = from + start;
    Atomics.store(input.decodedKiB, 0, Math.floor((edgesEnd - pos) / 1024));
  }
  return E - next;
}

function run(): void {
  const input = workerData as EdgeWorkerInput;
  const post = (m: EdgeWorkerMessage) => parentPort!.postMessage(m);
  let fd = -1;
  try {
    fd = openSync(input.path, 'r');
    const p = plan(fd, input);
    if (typeof p === 'string') {
      post({ type: 'unsupported', reason: p });
      return;
    }
    post({ type: 'plan', ...p });
    post({ type: 'done', records: decodeTail(fd, input, p.split, p.edgesEnd) });
  } catch (err) {
    if (err instanceof Failure && err.layout) post({ type: 'layout', reason: err.message });
    else post({ type: 'error', message: (err as Error).message, offset: err instanceof Failure ? err.offset : -1 });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

if (parentPort) run();
