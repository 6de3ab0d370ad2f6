/**
 * Loading a snapshot from a file or a stream of chunks into an analysed {@link HeapSnapshot}.
 */
import { open, stat } from 'node:fs/promises';
import { ExitCode, HeapyError } from '../errors.js';
import { HeapSnapshot } from './graph.js';
import { SnapshotParser, type ProgressCallback } from './parser.js';

/** Options for loading a snapshot. */
export interface LoadOptions {
  /** Called as loading and each analysis phase advance. */
  readonly onProgress?: ProgressCallback | undefined;
}

// 8 MiB reads: large enough that per-call overhead vanishes, small enough to stay in cache.
const CHUNK = 8 * 1024 * 1024;

/** Reads and analyses a .heapsnapshot file. Throws HeapyError on a missing or malformed file. */
export async function loadSnapshotFile(path: string, options: LoadOptions = {}): Promise<HeapSnapshot> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new HeapyError(`${path}: is a directory, not a .heapsnapshot file`, ExitCode.fileNotFound);
    size = st.size;
  } catch (err) {
    if (err instanceof HeapyError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`, ExitCode.fileNotFound);
  }
  const parser = new SnapshotParser({ source: path, totalBytes: size, onProgress: options.onProgress });
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`${path}: cannot open (${code ?? String(err)})`, ExitCode.fileNotFound);
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      parser.write(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return HeapSnapshot.analyze(parser.finish(), { onProgress: options.onProgress });
}

/** Parses and analyses a snapshot arriving as chunks (an inspector stream, a socket, a file stream). */
export async function loadSnapshotStream(
  chunks: AsyncIterable<Uint8Array | string>,
  source: string,
  options: LoadOptions = {},
): Promise<HeapSnapshot> {
  const parser = new SnapshotParser({ source, onProgress: options.onProgress });
  for await (const chunk of chunks) parser.write(chunk);
  return HeapSnapshot.analyze(parser.finish(), { onProgress: options.onProgress });
}
