/**
 * A shareable copy of a .heapsnapshot: every string value replaced by a keyed hash of it, numbers'
 * values zeroed, and everything else (class names, property names, sizes, ids, the graph, the
 * locations and the allocation traces) byte for byte as it was.
 *
 * What is a value and what is a name, as V8 11 writes a snapshot (checked on Node 20):
 * - a node's name is its content for `string` nodes (the characters, cut at 1024) and `regexp`
 *   nodes (the pattern); `concatenated string` and `sliced string` nodes are named by constants and
 *   their parts are `string` nodes. Script source code is a `string` node too.
 * - with `exposeNumericValues`, a `heap number` / `smi number` node has an internal edge `value` to
 *   a `string` node of self size 0 named by the number's decimal text (V8 gives these entries size
 *   0; real strings have a header, so at least 16 bytes): those texts become `0`.
 * - every other node's name is a name: constructors (`Object`, `Map`), function names, `system /
 *   ...`, and for Script nodes (type `code`) the script's URL. Edge names of every type but
 *   `element` and `hidden` (which hold indexes) are property, variable and internal names, kept.
 *   `trace_function_infos` name functions and scripts: kept.
 * The strings table holds each text once, so one index can be both: a string value equal to a
 * property name. Names win (the text is in the output as a name anyway); a value that equals a
 * number's text is hashed, not zeroed, so that different strings stay different.
 *
 * One pass, streamed: V8 writes `nodes`, `edges` and `trace_function_infos` before `strings`, so
 * by the time the strings come, a byte per string index (kept compactly, grown as indices appear)
 * says what each is. The numeric sections are decoded as they are copied (scan.ts's decoder); only
 * the strings section is rewritten. Memory: the chunk, the flags (one byte per string), nothing
 * per node or edge.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ExitCode, HeapyError, SnapshotFormatError, writeFailedError } from '../errors.js';
import { readHeader, ValueCapture, type NodeOffsets } from '../snapshot/header.js';
import type { SnapshotMeta, TypeIds } from '../snapshot/meta.js';
import type { Fail, ProgressCallback } from '../snapshot/raw.js';
import { plainStringEnd } from '../snapshot/strings-section.js';
import { newScanState, resetScanState, scanNumbers, scanProblem, type ScanState } from '../snapshot/scan.js';
import { ReplacingFile } from '../util/safe-write.js';

/** Options of {@link redactSnapshotFile}. */
export interface RedactOptions {
  /**
   * The key of the hash that replaces strings. The same key gives the same replacement for the
   * same text in every file (so two redacted snapshots still line up); without one, a random key
   * is drawn for this run and forgotten, so nobody can test a guess against the output.
   */
  readonly key?: string | Uint8Array;
  /** String values kept as they are, compared whole. */
  readonly keep?: readonly string[];
  /** String values kept when one of these matches (RegExp.test on the decoded text). */
  readonly keepPatterns?: readonly RegExp[];
  /** Bytes read at a time (default 4 MiB); tests use tiny reads to split every token across reads. */
  readonly readBytes?: number;
  /** Called as bytes are read: phase `redact`, bytes done, file size. */
  readonly onProgress?: ProgressCallback | undefined;
}

/** What {@link redactSnapshotFile} did. */
export interface RedactReport {
  /** Strings in the table. */
  readonly strings: number;
  /** Strings replaced by a hash. */
  readonly hashed: number;
  /** Number texts replaced by `0`. */
  readonly zeroed: number;
  /** Strings kept because a node or edge uses them as a name. */
  readonly names: number;
  /** String values kept because of `keep` or `keepPatterns`. */
  readonly keptByOption: number;
  /** Bytes read and written. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

// What the string at an index is used as (bits of one byte per index).
const NAME = 1;
const VALUE = 2;
const NUMBER = 4;

// Strings are replaced by a text of their length class: the next power of two, at least 16 (the
// hash's 16 characters: 96 bits, so different texts stay different among millions), at most the
// 1024 characters V8 cuts a table entry to. A string node's self size tells its length within 8
// bytes anyway; the class hides the rest.
const HASH_CHARS = 16;
const MAX_CLASS = 1024;
const QUOTE = Buffer.from('"');

/** The replacement of a string value of `text`: 16 base64url characters of HMAC-SHA256, padded with dots to the length class. */
export function redactedText(text: string, key: Uint8Array): string {
  if (text.length === 0) return '';
  const cls = Math.max(HASH_CHARS, Math.min(MAX_CLASS, 2 ** Math.ceil(Math.log2(text.length))));
  const hash = createHmac('sha256', key).update(text, 'utf8').digest('base64url').slice(0, HASH_CHARS);
  return hash + '.'.repeat(cls - HASH_CHARS);
}

// A JS number's decimal text as V8 writes it (DoubleToCString): digits, sign, point, exponent, or NaN/Infinity.
const NUMBER_TEXT = /^-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|Infinity)$|^NaN$/;

const enum S {
  Start,
  Key,
  KeyString,
  Colon,
  ValueStart,
  Numbers,
  Skip,
  Strings,
  Done,
}

const enum Numbers {
  Nodes,
  Edges,
  TraceFunctions,
  Other,
}

/**
 * Reads the snapshot `input` and writes its redacted copy to `output` (exclusive, 0600, renamed
 * into place only when complete). Throws HeapyError: fileNotFound for an unreadable input,
 * badSnapshot (SnapshotFormatError) for a malformed one, writeFailed when the output cannot be
 * written.
 */
export async function redactSnapshotFile(input: string, output: string, options: RedactOptions = {}): Promise<RedactReport> {
  let size: number;
  try {
    const st = await stat(input);
    if (st.isDirectory()) throw new HeapyError(`${input}: is a directory, not a .heapsnapshot file`, ExitCode.fileNotFound);
    if (!st.isFile()) throw new HeapyError(`${input}: not a regular file (redact reads a .heapsnapshot file)`, ExitCode.fileNotFound);
    size = st.size;
  } catch (err) {
    if (err instanceof HeapyError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`${input}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`, ExitCode.fileNotFound);
  }
  let fh: FileHandle;
  try {
    fh = await open(input, 'r');
  } catch (err) {
    throw new HeapyError(`${input}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ExitCode.fileNotFound);
  }
  let out: ReplacingFile;
  try {
    out = ReplacingFile.create(output);
  } catch (err) {
    await fh.close();
    throw writeFailedError(output, err);
  }
  const key = options.key === undefined ? randomBytes(32) : typeof options.key === 'string' ? Buffer.from(options.key, 'utf8') : options.key;
  const r = new Redactor(input, size, key, options);
  try {
    // 4 MiB reads: a few hundred for a 1 GB file, and the chunk plus its copy is all the memory.
    const buf = Buffer.allocUnsafe(options.readBytes ?? 4 * 1024 * 1024);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const parts = r.write(buf.subarray(0, bytesRead), pos);
      pos += bytesRead;
      // A few parts per chunk: the input's runs and the 1 MiB blocks of rewritten strings.
      for (const p of parts) await writeOut(out, output, p);
      options.onProgress?.('redact', pos, size);
    }
    r.finish(pos);
    out.commit();
  } catch (err) {
    out.abort();
    if (err instanceof HeapyError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (typeof e.syscall === 'string' && e.syscall === 'read') throw new HeapyError(`${input}: cannot read (${e.code ?? e.message})`, ExitCode.fileNotFound);
    if (typeof e.syscall === 'string') throw writeFailedError(output, err);
    throw err;
  } finally {
    await fh.close();
  }
  return { ...r.counts, bytesIn: size, bytesOut: r.bytesOut };
}

async function writeOut(out: ReplacingFile, path: string, data: Uint8Array): Promise<void> {
  try {
    await out.writeAsync(data);
  } catch (err) {
    throw writeFailedError(path, err);
  }
}

/** The state machine over the file's top-level object: copies bytes, decodes the numeric sections, rewrites the strings. */
class Redactor {
  private state = S.Start;
  private key = '';
  private keyBytes: number[] = [];
  private readonly seen = new Set<string>();
  private header: ValueCapture | null = null;
  private skip: ValueCapture | null = null;
  private meta: SnapshotMeta | undefined;
  private types: TypeIds | undefined;
  private offsets: NodeOffsets | undefined;
  private readonly fail: Fail;

  // Numeric sections.
  private numbers = Numbers.Other;
  private readonly scan: ScanState = newScanState();
  private readonly scratch = new Float64Array(1 << 16);
  private records = 0;
  private edgeSum = 0;
  private nodesDone = false;
  private edgesDone = false;

  // Flags per string index, and the largest index a name used.
  private flags = new Uint8Array(1 << 16);
  private maxName = -1;

  // The strings section.
  private inString = false;
  private pendingBackslash = false;
  private escaped = false;
  private stringParts: Buffer[] = [];
  private stringIndex = 0;
  readonly counts = { strings: 0, hashed: 0, zeroed: 0, names: 0, keptByOption: 0 };
  bytesOut = 0;
  private readonly sink = new ByteSink();
  private readonly keep: ReadonlySet<string>;
  private readonly patterns: readonly RegExp[];

  constructor(
    private readonly source: string,
    private readonly totalBytes: number,
    private readonly hashKey: Uint8Array,
    options: RedactOptions,
  ) {
    this.fail = (message, at, code) => {
      throw new SnapshotFormatError(this.source, message, at, code);
    };
    this.keep = new Set(options.keep ?? []);
    this.patterns = options.keepPatterns ?? [];
  }

  /** Consumes the chunk at file offset `base`; returns the bytes to write for it, in order, valid until the next call. */
  write(buf: Buffer, base: number): Buffer[] {
    const sink = this.sink;
    sink.reset();
    let copyFrom = 0;
    let i = 0;
    const end = buf.length;
    while (i < end) {
      switch (this.state) {
        case S.Start:
        case S.Key:
        case S.Colon:
        case S.ValueStart:
        case S.Done: {
          const c = buf[i]!;
          if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            i++;
            break;
          }
          i = this.token(buf, i, base);
          break;
        }
        case S.KeyString:
          while (i < end && buf[i] !== 0x22) {
            if (this.keyBytes.length > 256) this.fail('a top-level key longer than 256 bytes', base + i);
            this.keyBytes.push(buf[i]!);
            i++;
          }
          if (i < end) {
            i++;
            this.key = String.fromCharCode(...this.keyBytes);
            if (this.seen.has(this.key)) this.fail(`key "${this.key}" appears twice`, base + i);
            this.seen.add(this.key);
            this.state = S.Colon;
          }
          break;
        case S.Numbers:
          i = this.decodeNumbers(buf, i, end, base);
          break;
        case S.Skip: {
          const reader = this.header ?? this.skip!;
          i = reader.write(buf, i, end, base);
          if (reader.done) this.endSkip(reader);
          break;
        }
        case S.Strings:
          if (copyFrom < i) sink.take(buf.subarray(copyFrom, i));
          i = this.rewriteStrings(buf, i, end, base, sink);
          copyFrom = i;
          break;
      }
    }
    if (copyFrom < end && this.state !== S.Strings) sink.take(buf.subarray(copyFrom, end));
    const parts = sink.finish();
    for (const p of parts) this.bytesOut += p.length;
    return parts;
  }

  /** One byte between values: the braces, a key's quote, a colon, or a value's first byte. */
  private token(buf: Buffer, i: number, base: number): number {
    const c = buf[i]!;
    const at = base + i;
    switch (this.state) {
      case S.Start:
        if (c !== 0x7b) this.fail('not a heap snapshot: expected "{" at the start', at);
        this.state = S.Key;
        return i + 1;
      case S.Key:
        if (c === 0x2c) return i + 1;
        if (c === 0x22) {
          this.keyBytes.length = 0;
          this.state = S.KeyString;
          return i + 1;
        }
        if (c === 0x7d) {
          this.state = S.Done;
          return i + 1;
        }
        return this.fail(`unexpected byte '${String.fromCharCode(c)}' where a key was expected`, at);
      case S.Colon:
        if (c !== 0x3a) this.fail('expected ":" after a key', at);
        this.state = S.ValueStart;
        return i + 1;
      case S.ValueStart:
        return this.startValue(c, i, at);
      default:
        return this.fail('unexpected data after the end of the snapshot', at);
    }
  }

  private startValue(c: number, i: number, at: number): number {
    const key = this.key;
    if (key === 'snapshot') {
      if (c !== 0x7b) this.fail('"snapshot" is not an object', at);
      this.header = new ValueCapture(true, at, this.fail);
      this.state = S.Skip;
      return i;
    }
    const numbers = key === 'nodes' ? Numbers.Nodes : key === 'edges' ? Numbers.Edges : key === 'trace_function_infos' ? Numbers.TraceFunctions : Numbers.Other;
    if (numbers !== Numbers.Other || key === 'samples' || key === 'locations') {
      if (c !== 0x5b) this.fail(`"${key}" is not an array`, at);
      if (numbers !== Numbers.Other && !this.meta) this.fail(`"${key}" comes before "snapshot": cannot know its layout`, at);
      this.numbers = numbers;
      resetScanState(this.scan, false);
      this.records = 0;
      this.state = S.Numbers;
      return i + 1;
    }
    if (key === 'strings') {
      if (c !== 0x5b) this.fail('"strings" is not an array', at);
      // The flags must be complete before the first string is written.
      if (!this.nodesDone || !this.edgesDone) this.fail('"strings" comes before "nodes" and "edges": redact needs the names first', at);
      this.state = S.Strings;
      return i + 1;
    }
    // trace_tree (numbers in nested arrays) and keys heapy does not know: copied as they are.
    this.skip = new ValueCapture(false, at, this.fail);
    this.state = S.Skip;
    return i;
  }

  private endSkip(reader: ValueCapture): void {
    if (reader === this.header) {
      const h = readHeader(this.source, reader.text(), reader.start, this.totalBytes, this.fail);
      this.meta = h.meta;
      this.types = h.types;
      this.offsets = h.nodeOffsets;
      this.header = null;
    }
    this.skip = null;
    this.state = S.Key;
  }

  private decodeNumbers(buf: Buffer, i: number, end: number, base: number): number {
    const st = this.scan;
    st.i = i;
    scanNumbers(buf, end, this.scratch, st);
    if (st.error !== 0) this.fail(scanProblem(st.error, `"${this.key}"`, buf[st.errorAt] ?? 0), base + st.errorAt);
    this.flushRecords(base + st.i);
    if (st.ended) this.endNumbers(base + st.i - 1);
    return st.i;
  }

  /** Classifies the whole records in the scratch and keeps the partial one. */
  private flushRecords(at: number): void {
    const st = this.scan;
    const meta = this.meta;
    if (this.numbers === Numbers.Other || !meta) {
      st.n = 0;
      return;
    }
    const width = this.numbers === Numbers.Nodes ? meta.nodeFields.length : this.numbers === Numbers.Edges ? meta.edgeFields.length : meta.traceFunctionInfoFields.length;
    if (width === 0) {
      st.n = 0;
      return;
    }
    const records = Math.floor(st.n / width);
    if (records === 0) return;
    const limit = this.numbers === Numbers.Nodes ? meta.nodeCount : this.numbers === Numbers.Edges ? meta.edgeCount : Infinity;
    if (this.records + records > limit) this.fail(`"${this.key}" holds more records than the header announces (${limit})`, at);
    const s = this.scratch;
    if (this.numbers === Numbers.Nodes) this.classifyNodes(records, width, at);
    else if (this.numbers === Numbers.Edges) this.classifyEdges(records, width, at);
    else {
      const f = meta.traceFunctionInfoFields;
      for (const field of ['name', 'script_name']) {
        const o = f.indexOf(field);
        if (o < 0) continue;
        for (let k = o, r = 0; r < records; r++, k += width) this.mark(s[k]!, NAME, at);
      }
    }
    this.records += records;
    const used = records * width;
    s.copyWithin(0, used, st.n);
    st.n -= used;
  }

  private classifyNodes(records: number, nf: number, at: number): void {
    const s = this.scratch;
    const o = this.offsets!;
    const ty = this.types!;
    const typeCount = this.meta!.nodeTypes.length;
    const stringType = ty.string;
    const regexpType = ty.regexp;
    let edges = this.edgeSum;
    for (let k = 0, r = 0; r < records; r++, k += nf) {
      const t = s[k + o.type]!;
      if (t >= typeCount) this.fail(`node ${this.records + r} has type ${t}, past the ${typeCount} node types`, at);
      edges += s[k + o.edges]!;
      let what = NAME;
      // Size 0: the text of a number (see the top of this file); real strings have a header.
      if (t === stringType) what = s[k + o.size] === 0 ? NUMBER : VALUE;
      else if (t === regexpType) what = VALUE;
      this.mark(s[k + o.name]!, what, at);
    }
    this.edgeSum = edges;
  }

  private classifyEdges(records: number, ef: number, at: number): void {
    const s = this.scratch;
    const f = this.meta!.edgeFields;
    const oType = f.indexOf('type');
    const oName = f.indexOf('name_or_index');
    const oTo = f.indexOf('to_node');
    const ty = this.types!;
    const typeCount = this.meta!.edgeTypes.length;
    const nf = this.meta!.nodeFields.length;
    const toLimit = this.meta!.nodeCount * nf;
    for (let k = 0, r = 0; r < records; r++, k += ef) {
      const t = s[k + oType]!;
      const to = s[k + oTo]!;
      if (t >= typeCount || to >= toLimit || to % nf !== 0) this.fail(`edge ${this.records + r} has a type or target out of range`, at);
      if (t !== ty.edgeElement && t !== ty.edgeHidden) this.mark(s[k + oName]!, NAME, at);
    }
  }

  /** Records that string `index` is used as `what`, growing the flags (bounded by the file: a string takes 3 bytes at least). */
  private mark(index: number, what: number, at: number): void {
    let f = this.flags;
    if (index >= f.length) {
      if (index >= this.totalBytes / 3) this.fail(`string index ${index} is beyond what a file of ${this.totalBytes} bytes can hold`, at);
      const grown = new Uint8Array(Math.max(index + 1, f.length * 2));
      grown.set(f);
      this.flags = f = grown;
    }
    f[index] = f[index]! | what;
    if (index > this.maxName) this.maxName = index;
  }

  private endNumbers(at: number): void {
    const st = this.scan;
    const meta = this.meta;
    if (meta && (this.numbers === Numbers.Nodes || this.numbers === Numbers.Edges)) {
      const nodes = this.numbers === Numbers.Nodes;
      const want = nodes ? meta.nodeCount : meta.edgeCount;
      if (st.n !== 0 || this.records !== want) {
        this.fail(`"${this.key}" holds ${this.records} records${st.n ? ' and a partial one' : ''} but the header announces ${want}`, at);
      }
      if (nodes && this.edgeSum !== meta.edgeCount) this.fail(`nodes own ${this.edgeSum} edges in all but edge_count says ${meta.edgeCount}`, at);
      if (nodes) this.nodesDone = true;
      else this.edgesDone = true;
    }
    this.state = S.Key;
  }

  /** Inside the strings array: copies separators, rewrites each string; returns where it stopped. */
  private rewriteStrings(buf: Buffer, i: number, end: number, base: number, sink: ByteSink): number {
    while (i < end) {
      if (this.inString) {
        const start = i;
        let pending = this.pendingBackslash;
        for (; i < end; i++) {
          const c = buf[i]!;
          if (pending) pending = false;
          else if (c === 0x5c) {
            pending = true;
            this.escaped = true;
          } else if (c === 0x22) break;
        }
        this.pendingBackslash = pending;
        // A copy: the chunk's buffer is reused for the next read.
        this.stringParts.push(Buffer.from(buf.subarray(start, i)));
        if (i === end) return i;
        i++;
        this.inString = false;
        // With its quotes, as a string found whole in a chunk is.
        const raw = Buffer.concat([QUOTE, ...this.stringParts, QUOTE]);
        this.stringParts = [];
        this.emit(raw, 1, raw.length - 1, this.escaped, base + i, sink);
        continue;
      }
      const c = buf[i]!;
      if (c === 0x22) {
        // Fast path: the whole string in this chunk, without escapes.
        const q = plainStringEnd(buf, i + 1, end);
        if (q >= 0) {
          this.emit(buf, i + 1, q, false, base + i, sink);
          i = q + 1;
          continue;
        }
        this.inString = true;
        this.escaped = false;
        this.pendingBackslash = false;
        i++;
        continue;
      }
      if (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        sink.copy(buf, i, i + 1);
        i++;
        continue;
      }
      if (c === 0x5d) {
        this.endStrings(base + i);
        sink.copy(buf, i, i + 1);
        return i + 1;
      }
      this.fail(`unexpected byte '${String.fromCharCode(c)}' in "strings"`, base + i);
    }
    return i;
  }

  /** Writes the output for one string of the table, whose raw bytes are src[s..e), between quotes at s - 1 and e. */
  private emit(src: Buffer, s: number, e: number, escaped: boolean, at: number, sink: ByteSink): void {
    const index = this.stringIndex++;
    const flags = index < this.flags.length ? this.flags[index]! : 0;
    const c = this.counts;
    c.strings++;
    if (flags & NAME) {
      c.names++;
      sink.copy(src, s - 1, e + 1);
      return;
    }
    let text: string;
    try {
      text = escaped ? (JSON.parse(`"${src.toString('utf8', s, e)}"`) as string) : src.toString('utf8', s, e);
    } catch {
      return this.fail('a bad escape sequence in "strings"', at);
    }
    if (this.keep.has(text) || this.patterns.some((p) => testPattern(p, text))) {
      c.keptByOption++;
      sink.copy(src, s - 1, e + 1);
      return;
    }
    if (flags === NUMBER && NUMBER_TEXT.test(text)) {
      c.zeroed++;
      sink.ascii('"0"');
      return;
    }
    c.hashed++;
    sink.ascii(`"${redactedText(text, this.hashKey)}"`);
  }

  private endStrings(at: number): void {
    if (this.maxName >= this.stringIndex) this.fail(`a node or edge names string ${this.maxName}, past the ${this.stringIndex} strings`, at);
    this.state = S.Key;
  }

  /** Checks that the input ended where the snapshot did (at byte `at`). */
  finish(at: number): void {
    if (this.state === S.Done) {
      if (!this.meta) this.fail('no "snapshot" header', at);
      if (!this.seen.has('strings')) this.fail('no "strings" section', at);
      return;
    }
    if (this.state === S.Start && at === 0) this.fail('empty input, not a heap snapshot', 0);
    this.fail(`truncated: input ended inside ${this.key ? `"${this.key}"` : 'the header'}`, at);
  }
}

/**
 * The output of one chunk: large runs copied from the input are taken as they are, small pieces
 * (a string, a separator) are copied into 1 MiB blocks, so that a chunk of a million strings is a
 * few buffers, not two million (a Buffer object costs ~100 bytes of heap: 250 MB seen here). The
 * blocks are reused for the next chunk once its output is written: fresh ones each chunk piled up
 * 80 MB of garbage outside the heap before a GC took it, on a 1.1 GB file.
 */
class ByteSink {
  private parts: Buffer[] = [];
  private readonly blocks: Buffer[] = [Buffer.allocUnsafe(1 << 20)];
  private current = 0;
  private used = 0;

  /** Appends `b` itself (not a copy): the caller keeps it unchanged until written. */
  take(b: Buffer): void {
    this.flush();
    this.parts.push(b);
  }

  /** Room for `n` more bytes in the current block, moving to the next one (or a bigger one) if needed. */
  private room(n: number): Buffer {
    let block = this.blocks[this.current]!;
    if (n > block.length - this.used) {
      this.flush();
      block = this.blocks[this.current]!;
      if (n > block.length) this.blocks[this.current] = block = Buffer.allocUnsafe(n);
    }
    return block;
  }

  /** Appends a copy of src[s..e). */
  copy(src: Buffer, s: number, e: number): void {
    src.copy(this.room(e - s), this.used, s, e);
    this.used += e - s;
  }

  /** Appends an ASCII text. */
  ascii(text: string): void {
    // room() may move to a fresh block (used = 0): call it before reading `used`.
    const block = this.room(text.length);
    this.used += block.write(text, this.used, 'latin1');
  }

  private flush(): void {
    if (this.used === 0) return;
    this.parts.push(this.blocks[this.current]!.subarray(0, this.used));
    this.current++;
    if (this.current === this.blocks.length) this.blocks.push(Buffer.allocUnsafe(1 << 20));
    this.used = 0;
  }

  /** The chunk's output, in order; valid until the next {@link ByteSink.reset}. */
  finish(): Buffer[] {
    this.flush();
    return this.parts;
  }

  /** Starts the next chunk, reusing the blocks (whose contents must have been written). */
  reset(): void {
    this.parts = [];
    this.current = 0;
    this.used = 0;
  }
}

/** RegExp.test from the start: a /g or /y pattern keeps lastIndex between calls otherwise. */
function testPattern(p: RegExp, text: string): boolean {
  p.lastIndex = 0;
  return p.test(text);
}
