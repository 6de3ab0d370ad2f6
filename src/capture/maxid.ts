/**
 * The largest node id of a streamed .heapsnapshot, found without building the graph: reads the
 * small header for `meta.node_fields`, then decodes only the `nodes` array, keeping one number.
 * This is what `.setref` needs, in constant memory instead of the graph's hundreds of megabytes.
 *
 * Only odd ids count (see snapshot/meta.ts: even ids carry no age). The numbers are read by the
 * engine's own scanner.
 */
import { ExitCode, HeapyError } from '../errors.js';
import { isHeapObjectId } from '../snapshot/meta.js';
import { newScanState, scanNumbers, scanProblem } from '../snapshot/scan.js';

// The header (meta and counts) is a few KB in every snapshot seen here; 1 MiB without "nodes"
// means the input is not a snapshot.
const MAX_HEADER = 1024 * 1024;

/** Push scanner: `write` every chunk in order, then read `maxId` after `finish`. */
export class MaxIdScanner {
  private header = '';
  private inNodes = false;
  private done = false;
  private fieldCount = 0;
  private idField = 0;
  private field = 0;
  private max = 0;
  private readonly state = newScanState();
  // 16 Ki numbers per scanner call: the chunks V8 sends are ~100 KB, so a few calls each.
  private readonly scratch = new Float64Array(16384);
  private readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  /** Feeds the next chunk of snapshot text. */
  write(chunk: string): void {
    if (this.done) return;
    if (!this.inNodes) {
      this.header += chunk;
      const at = this.header.indexOf('"nodes":[');
      if (at < 0) {
        if (this.header.length > MAX_HEADER) throw new HeapyError(`${this.source}: no "nodes" array in the first ${MAX_HEADER} bytes`, ExitCode.badSnapshot);
        return;
      }
      // No RegExp on the header: V8 keeps the last match's subject (this whole chunk) reachable
      // from the global object, where hpy() would then count it as new after a setref.
      const key = this.header.lastIndexOf('"node_fields":', at);
      const close = key < 0 ? -1 : this.header.indexOf(']', key);
      if (close < 0) throw new HeapyError(`${this.source}: snapshot header has no meta.node_fields`, ExitCode.badSnapshot);
      let names: string[];
      try {
        names = JSON.parse(this.header.slice(this.header.indexOf('[', key), close + 1)) as string[];
      } catch {
        throw new HeapyError(`${this.source}: snapshot header has a bad meta.node_fields`, ExitCode.badSnapshot);
      }
      this.fieldCount = names.length;
      this.idField = names.indexOf('id');
      if (this.idField < 0) throw new HeapyError(`${this.source}: snapshot nodes have no id field`, ExitCode.badSnapshot);
      this.inNodes = true;
      // Continue in the rest of this chunk, just after '"nodes":['.
      chunk = this.header.slice(at + '"nodes":['.length);
      this.header = '';
    }
    // Snapshot text is ASCII (V8 escapes everything else): latin1 gives its bytes exactly.
    const buf = Buffer.from(chunk, 'latin1');
    const st = this.state;
    const scratch = this.scratch;
    const fc = this.fieldCount;
    const idf = this.idField;
    let field = this.field;
    let max = this.max;
    st.i = 0;
    while (st.i < buf.length && !st.ended && st.error === 0) {
      scanNumbers(buf, buf.length, scratch, st);
      for (let k = 0; k < st.n; k++) {
        if (field === idf) {
          const id = scratch[k]!;
          if (id > max && isHeapObjectId(id)) max = id;
        }
        field = field + 1 === fc ? 0 : field + 1;
      }
      st.n = 0;
    }
    this.field = field;
    this.max = max;
    if (st.error !== 0) throw new HeapyError(`${this.source}: ${scanProblem(st.error, '"nodes"', buf[st.errorAt] ?? 0)}`, ExitCode.badSnapshot);
    if (st.ended) this.done = true;
  }

  /** The largest odd (heap object) id seen; throws when the nodes array never ended. */
  finish(): number {
    if (!this.done) throw new HeapyError(`${this.source}: snapshot ended inside the nodes array`, ExitCode.badSnapshot);
    return this.max;
  }
}
