/**
 * Loading a snapshot from a file or a stream of chunks into an analysed {@link HeapSnapshot}.
 */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ExitCode, HeapyError, SnapshotFormatError } from '../errors.js';
import type { EdgeWorkerInput, EdgeWorkerMessage } from './edge-worker.js';
import { HeapSnapshot, type AnalysisLevel, type Linking, type RenumberMode } from './graph.js';
import { SnapshotParser } from './parser.js';
import type { ProgressCallback } from './raw.js';
import { BIG_FILE_BYTES } from './thresholds.js';

/** Options for loading a snapshot. */
export interface LoadOptions {
  /** Called as loading and each analysis phase advance. */
  readonly onProgress?: ProgressCallback | undefined;
  /**
   * Use a second thread for the tail of the edges array on files at least this big (bytes).
   * Default BIG_FILE_BYTES (64 MiB; see thresholds.ts). Infinity disables it.
   */
  readonly parallelFrom?: number;
  /** How much to analyse (see {@link AnalysisLevel}); default 'full'. */
  readonly level?: AnalysisLevel | undefined;
  /** Whether a full analysis may renumber a scattered snapshot (see {@link RenumberMode}); default 'auto'. */
  readonly renumber?: RenumberMode | undefined;
  /** How the dominator pass links its forest (see {@link Linking}); default 'auto'. */
  readonly linking?: 'auto' | Linking | undefined;
  /** See AnalyzeOptions.ownersInPlaceAbove; default 2^25 nodes. */
  readonly ownersInPlaceAbove?: number | undefined;
}

// Reads of 1 MiB for small files: a buffer that costs little to fault in (page faults cost ~14 µs
// each on the bench machine: an 8 MiB buffer was 25-35 ms of a 25 MB file's load). 8 MiB from
// BIG_FILE_BYTES on: the strings section is kept as copies of its chunks, and with huge pages
// (bin.ts) a 1 MiB copy takes a whole 2 MiB page (the 630 MB strings file went from 0.70 to 1.28 GB).
const SMALL_CHUNK = 1024 * 1024;
const BIG_CHUNK = 8 * 1024 * 1024;
const FIRST_CHUNK = 64 * 1024;

/**
 * Reads and analyses a .heapsnapshot file. A FIFO is read as a stream on one thread (its size is
 * unknown): opening it waits for a writer, as `cat` does. Throws HeapyError on a missing or
 * malformed file.
 */
export async function loadSnapshotFile(path: string, options: LoadOptions = {}): Promise<HeapSnapshot> {
  try {
    return await loadFile(path, options);
  } catch (err) {
    // The edge worker found, after the split, that the edges are not one record a line (valid
    // JSON laid out otherwise): rare enough that reading the file again on one thread is the fix.
    if (err instanceof LayoutMismatch) return loadFile(path, { ...options, parallelFrom: Infinity });
    throw err;
  }
}

/** The edge worker's layout assumption did not hold: not an error in the file. */
class LayoutMismatch extends Error {}

async function loadFile(path: string, options: LoadOptions): Promise<HeapSnapshot> {
  let size: number;
  let fifo: boolean;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new HeapyError(`${path}: is a directory, not a .heapsnapshot file`, ExitCode.fileNotFound);
    fifo = st.isFIFO();
    size = st.size;
  } catch (err) {
    if (err instanceof HeapyError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`, ExitCode.fileNotFound);
  }
  if (fifo) return loadFifo(path, options);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`${path}: cannot open (${code ?? String(err)})`, ExitCode.fileNotFound);
  }
  const parallel = size >= (options.parallelFrom ?? BIG_FILE_BYTES);
  const helper = parallel ? new EdgeHelper(path, size) : undefined;
  let tailTaken = false;
  // Parse progress counts both threads' bytes: this thread's, less the tail it jumped over, and
  // what the worker decoded of that tail (else the bar stalls, then jumps at the jump).
  let skipped = 0;
  const onProgress = options.onProgress;
  const parseProgress: ProgressCallback | undefined = onProgress
    ? (phase, done, total) => onProgress(phase, phase === 'parse' && helper ? done - skipped + helper.decodedBytes : done, total)
    : undefined;
  const parser = new SnapshotParser({ source: path, totalBytes: size, onProgress: parseProgress, sharedArrays: parallel });
  try {
    const CHUNK = size >= BIG_FILE_BYTES ? BIG_CHUNK : SMALL_CHUNK;
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    while (pos < size) {
      let want = Math.min(pos === 0 ? FIRST_CHUNK : CHUNK, size - pos);
      if (helper && !tailTaken) {
        helper.startWhenReady(parser);
        // The edges cannot start before every node number had a digit and a comma: read up to
        // there freely, then wait for the worker to say where the two threads' shares meet.
        if (helper.pending && pos + want > helper.planNeededFrom) {
          if (pos >= helper.planNeededFrom) await helper.waitForPlan();
          else want = helper.planNeededFrom - pos;
        }
        const plan = helper.plan;
        if (plan && pos === plan.split + 1 && parser.atEdgeRecord) {
          // Jump over the worker's share and read on (the strings) while it finishes.
          skipped = plan.edgesEnd - pos;
          parser.skipEdgeTail(plan.edgesEnd);
          pos = plan.edgesEnd;
          tailTaken = true;
          continue;
        }
        if (plan && pos > plan.split) {
          // Past the meeting point before the plan came, or the records do not end there (the
          // same JSON laid out otherwise): parse it all here.
          await helper.abandon();
        } else if (plan) {
          want = Math.min(want, plan.split + 1 - pos);
        }
      }
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      parser.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    if (helper && tailTaken) {
      // This thread is done with its share: the bar follows the worker's until it is too.
      const tick = onProgress ? setInterval(() => onProgress('parse', pos - skipped + helper.decodedBytes, size), 250) : undefined;
      const records = await helper.waitForDone().finally(() => clearInterval(tick));
      onProgress?.('parse', size, size);
      parser.tailDecoded(records);
      options.onProgress?.('edge tail', records, parser.header?.edgeCount ?? 0);
    }
  } finally {
    await helper?.abandon();
    await fh.close();
  }
  const raw = parser.finish();
  const analyzeOptions = { onProgress: options.onProgress, level: options.level, renumber: options.renumber, linking: options.linking, ownersInPlaceAbove: options.ownersInPlaceAbove };
  return parallel ? HeapSnapshot.analyzeParallel(raw, analyzeOptions) : HeapSnapshot.analyze(raw, analyzeOptions);
}

// A FIFO has no size and cannot be read at offsets: stream it. open() blocks (on a libuv pool
// thread) until a writer opens the other end; the process stays interruptible meanwhile.
async function loadFifo(path: string, options: LoadOptions): Promise<HeapSnapshot> {
  try {
    return await loadSnapshotStream(createReadStream(path, { highWaterMark: SMALL_CHUNK }), path, options);
  } catch (err) {
    if (err instanceof HeapyError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (typeof e.syscall !== 'string') throw err;
    throw new HeapyError(`${path}: cannot read (${e.code ?? e.message})`, ExitCode.fileNotFound);
  }
}

/** Parses and analyses a snapshot arriving as chunks (an inspector stream, a socket, a file stream). */
export async function loadSnapshotStream(
  chunks: AsyncIterable<Uint8Array | string>,
  source: string,
  options: LoadOptions = {},
): Promise<HeapSnapshot> {
  const parser = new SnapshotParser({ source, onProgress: options.onProgress });
  for await (const chunk of chunks) parser.write(chunk);
  return HeapSnapshot.analyze(parser.finish(), { onProgress: options.onProgress, level: options.level, renumber: options.renumber, linking: options.linking, ownersInPlaceAbove: options.ownersInPlaceAbove });
}

/**
 * Runs edge-worker.ts: it finds the edges array from the header's counts, tells where the two
 * threads' shares meet (`plan`), and decodes the tail while this thread parses the rest.
 */
class EdgeHelper {
  plan: { edgesStart: number; edgesEnd: number; split: number } | undefined;
  private readonly decodedKiB = new Int32Array(new SharedArrayBuffer(4));

  /** Bytes of the tail the worker has decoded so far. */
  get decodedBytes(): number {
    return Atomics.load(this.decodedKiB, 0) * 1024;
  }

  private worker: Worker | undefined;
  private started = false;
  private gaveUp = false;
  private done: number | undefined;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {}

  /** True while the worker runs and has not said yet where the shares meet. */
  get pending(): boolean {
    return this.started && !this.gaveUp && this.plan === undefined;
  }

  /** The earliest byte the edges can start at: reading past it needs the plan. */
  planNeededFrom = Infinity;

  /** Starts the worker once the parser knows the header and where the nodes begin. */
  startWhenReady(parser: SnapshotParser): void {
    if (this.started || this.gaveUp) return;
    const meta = parser.header;
    if (!meta || parser.nodesStart < 0) return;
    this.started = true;
    this.planNeededFrom = parser.nodesStart + 2 * meta.nodeCount * meta.nodeFields.length;
    const ef = meta.edgeFields;
    const arrays = parser.edgeArrays;
    const input: EdgeWorkerInput = {
      path: this.path,
      fileSize: this.size,
      nodesStart: parser.nodesStart,
      nodeCount: meta.nodeCount,
      edgeCount: meta.edgeCount,
      nodeFieldCount: meta.nodeFields.length,
      edgeFieldCount: ef.length,
      typeField: ef.indexOf('type'),
      nameField: ef.indexOf('name_or_index'),
      toField: ef.indexOf('to_node'),
      edgeTypeCount: meta.edgeTypes.length,
      ...arrays,
      decodedKiB: this.decodedKiB,
    };
    const worker = new Worker(new URL('./edge-worker.js', import.meta.url), { workerData: input });
    this.worker = worker;
    worker.on('message', (m: EdgeWorkerMessage) => {
      if (m.type === 'plan') this.plan = m;
      else if (m.type === 'done') this.done = m.records;
      else if (m.type === 'unsupported') this.gaveUp = true;
      else if (m.type === 'layout') this.failure = new LayoutMismatch(m.reason);
      else this.failure = new SnapshotFormatError(this.path, m.message, m.offset);
      this.wake();
    });
    worker.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    worker.on('exit', () => {
      if (this.done === undefined && !this.failure) this.gaveUp = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(test: () => boolean): Promise<void> {
    while (!test()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for the meeting point (or for the worker to give up). */
  async waitForPlan(): Promise<void> {
    if (!this.started || this.gaveUp) return;
    await this.until(() => this.plan !== undefined || this.gaveUp);
  }

  /** Waits for the tail to be decoded; returns how many edges it holds. */
  async waitForDone(): Promise<number> {
    await this.until(() => this.done !== undefined || this.gaveUp);
    if (this.done === undefined) throw new HeapyError(`${this.path}: the edge worker stopped early`, ExitCode.internal);
    return this.done;
  }

  /** Stops the worker (this thread parses everything from here). */
  async abandon(): Promise<void> {
    this.gaveUp = true;
    this.plan = undefined;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
    // This thread parses the whole file now: what the worker decoded no longer counts.
    Atomics.store(this.decodedKiB, 0, 0);
  }
}
