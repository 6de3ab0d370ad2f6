/**
 * The largest node id of a streamed .heapsnapshot, found without building the graph: reads the
 * small header for `meta.node_fields`, then decodes only the `nodes` array, keeping one number.
 * This is what `.setref` needs, in constant memory instead of the graph's hundreds of megabytes.
 *
 * Only odd ids count: V8 numbers heap objects from a counter in steps of 2 starting odd, while
 * embedder (native) and synthetic nodes get even ids derived from hashes, which are huge
 * (1,460,429,664 seen here next to a largest object id of ~100,000) and say nothing about age.
 */
import { ExitCode, HeapyError } from '../errors.js';

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
  private value = 0;
  private inNumber = false;
  private max = 0;
  private readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  /** Feeds the next chunk of snapshot text. */
  write(chunk: string): void {
    if (this.done) return;
    let start = 0;
    if (!this.inNodes) {
      this.header += chunk;
      const at = this.header.indexOf('"nodes":[');
      if (at < 0) {
        if (this.header.length > MAX_HEADER) throw new HeapyError(`${this.source}: no "nodes" array in the first ${MAX_HEADER} bytes`, ExitCode.badSnapshot);
        return;
      }
      const fields = /"node_fields":\s*\[([^\]]*)\]/.exec(this.header.slice(0, at));
      if (!fields) throw new HeapyError(`${this.source}: snapshot header has no meta.node_fields`, ExitCode.badSnapshot);
      const names = fields[1]!.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
      this.fieldCount = names.length;
      this.idField = names.indexOf('id');
      if (this.idField < 0) throw new HeapyError(`${this.source}: snapshot nodes have no id field`, ExitCode.badSnapshot);
      this.inNodes = true;
      // Continue in the rest of this chunk, just after '"nodes":['.
      const rest = this.header.slice(at + '"nodes":['.length);
      this.header = '';
      chunk = rest;
      start = 0;
    }
    const n = chunk.length;
    let field = this.field;
    let value = this.value;
    let inNumber = this.inNumber;
    let max = this.max;
    const fc = this.fieldCount;
    const idf = this.idField;
    for (let i = start; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48);
        inNumber = true;
      } else {
        if (inNumber) {
          if (field === idf && value > max && value % 2 === 1) max = value;
          field = field + 1 === fc ? 0 : field + 1;
          value = 0;
          inNumber = false;
        }
        if (c === 93 /* ] */) {
          this.done = true;
          break;
        }
      }
    }
    this.field = field;
    this.value = value;
    this.inNumber = inNumber;
    this.max = max;
  }

  /** The largest odd (heap object) id seen; throws when the nodes array never ended. */
  finish(): number {
    if (!this.done) throw new HeapyError(`${this.source}: snapshot ended inside the nodes array`, ExitCode.badSnapshot);
    return this.max;
  }
}
