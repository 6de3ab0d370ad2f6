/**
 * File handling for `heapy report`: telling monitor recordings from snapshots, and writing the page
 * under a temporary name renamed into place, so no reader ever sees half a report.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { ExitCode, HeapyError, writeFailedError } from '../errors.js';
import { writeFileReplacing } from '../util/safe-write.js';
import { MONITOR_MAGIC } from '../monitor/format.js';

/** What a file given to `heapy report` holds. */
export type ReportInputKind = 'snapshot' | 'monitor' | 'profile';

/** The name of the allocation samples `heapy leaks --pid --save DIR` keeps beside its snapshots. */
export const SAMPLING_FILE = 'sampling.heapprofile';

/**
 * Looks at the first bytes: monitor files start with their magic line, sampling heap profiles
 * (.heapprofile, as DevTools and `heapy leaks --save` write them) with `{"head"`, snapshots with `{`. A FIFO
 * is taken for a snapshot: peeking would block for a writer and consume what it sends.
 */
export function inputKind(path: string): ReportInputKind {
  try {
    if (statSync(path).isFIFO()) return 'snapshot';
  } catch {
    // open() below reports it.
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`, ExitCode.fileNotFound);
  }
  try {
    const buf = Buffer.alloc(64);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HeapyError(`${path}: ${code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? String(err)})`}`, ExitCode.fileNotFound);
    }
    const head = buf.subarray(0, n).toString('utf8');
    return head.startsWith(MONITOR_MAGIC) ? 'monitor' : /^\s*\{\s*"head"/.test(head) ? 'profile' : 'snapshot';
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `text` to `path` through a private temporary file beside it and a rename (mode 0600: a
 * report holds heap strings; see util/safe-write.ts).
 */
export function writeFileAtomic(path: string, text: string): void {
  try {
    writeFileReplacing(path, text);
  } catch (err) {
    throw writeFailedError(path, err, 'cannot write the report');
  }
}
