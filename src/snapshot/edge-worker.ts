/**
 * The second core's share of parsing a big snapshot: the tail of the `edges` array, decoded
 * backwards from its end straight into the shared edge arrays.
 *
 * Why backwards: the thread that reads the file from the front cannot know how many edges come
 * before a byte offset until it gets there. From the back, the last edge is number E-1, so this
 * thread can write every edge in place while the main thread parses the nodes and the first part
 * of the edges. The two parts meet at a line break: V8 and Chromium write one record a line
 * ("\n," between records), which makes any line break a record boundary.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

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
}

/** Messages from the worker. */
export type EdgeWorkerMessage =
  | { readonly type: 'plan'; readonly edgesStart: number; readonly edgesEnd: number; readonly split: number }
  | { readonly type: 'unsupported'; readonly reason: string }
  | { readonly type: 'done'; readonly records: number }
  | { readonly type: 'error'; readonly message: string; readonly offset: number };

const BLOCK = 8 * 1024 * 1024;

class Failure extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
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
  // This thread takes 40% of all the numbers (nodes and edges) from the back: it also reads ahead
  // to find the end of the section, and its backwards loop is slower than the main thread's two
  // tight passes. Measured on the 1.1 GB bench file: parse 6.7 s at 50%, 6.2 s at 42%, 6.0 s at 35%.
  const total = edgesEnd - nodesStart;
  let split = Math.max(edgesStart, edgesEnd - Math.floor(total * 0.4));
  const nl = findForward(fd, fileSize, split, 0x0a);
  if (nl < 0 || nl >= edgesEnd) return 'edges are not one record a line';
  split = nl;
  return { edgesStart, edgesEnd, split };
}

/**
 * Decodes the records in (split, edgesEnd) from the back. Returns how many it stored; throws a
 * Failure with the byte offset on anything that is not `\n,n,n,n\n,n,n,n...`.
 */
function decodeBackwards(fd: number, input: EdgeWorkerInput, split: number, edgesEnd: number): number {
  const { edgeCount: E, nodeFieldCount: nf, edgeFieldCount: ef, typeField, nameField, toField, edgeTypeCount } = input;
  const { edgeType, edgeName, edgeTo } = input;
  const limit = input.nodeCount * nf;
  const buf = Buffer.allocUnsafe(BLOCK);
  let record = E - 1;
  let field = ef - 1;
  let value = 0;
  let mult = 1;
  let inNum = false;
  let sepSeen = true; // the ']' acts as the separator after the last number
  let records = 0;
  let pos = edgesEnd; // exclusive end of what is still to read
  while (pos > split) {
    const from = Math.max(split, pos - BLOCK);
    const n = readSync(fd, buf, 0, pos - from, from);
    if (n !== pos - from) throw new Failure('short read', from);
    for (let i = n - 1; i >= 0; i--) {
      const c = buf[i]!;
      const d = c - 0x30;
      if ((d >>> 0) < 10) {
        if (!inNum) {
          if (!sepSeen) throw new Failure('a missing comma in "edges"', from + i);
          inNum = true;
          value = 0;
          mult = 1;
        }
        value += d * mult;
        mult *= 10;
        continue;
      }
      if (inNum) {
        // The number [i+1 ..] is complete: store it in its field of the current record.
        if (record < 0) throw new Failure(`"edges" holds more than edge_count (${E}) edges`, from + i);
        if (field === typeField) {
          if (value >= edgeTypeCount) throw new Failure(`edge ${record} has a type, name or target out of range`, from + i);
          edgeType[record] = value;
        } else if (field === nameField) {
          if (value > 0xffffffff) throw new Failure(`edge ${record} has a type, name or target out of range`, from + i);
          edgeName[record] = value;
        } else if (field === toField) {
          const to = value / nf;
          if (value >= limit || to !== Math.floor(to)) throw new Failure(`edge ${record} has a type, name or target out of range`, from + i);
          edgeTo[record] = to;
        }
        if (--field < 0) {
          field = ef - 1;
          record--;
          records++;
        }
        inNum = false;
        sepSeen = false;
      }
      if (c === 0x2c) {
        if (sepSeen) throw new Failure('a separator without a number in "edges"', from + i);
        sepSeen = true;
      } else if (c !== 0x0a && c !== 0x20 && c !== 0x0d && c !== 0x09) {
        throw new Failure(`unexpected byte '${String.fromCharCode(c)}' in "edges"`, from + i);
      }
    }
    pos = from;
  }
  // The region starts at a line break followed by a comma: the last thing read must be that comma.
  if (inNum || field !== ef - 1 || !sepSeen) throw new Failure('the edges do not split at a record boundary', split);
  return records;
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
    post({ type: 'done', records: decodeBackwards(fd, input, p.split, p.edgesEnd) });
  } catch (err) {
    post({ type: 'error', message: (err as Error).message, offset: err instanceof Failure ? err.offset : -1 });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

if (parentPort) run();
