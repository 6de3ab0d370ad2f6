/**
 * Finding data files in a directory, for `heapy list` and for commands run without a file name.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, HeapyError } from '../errors.js';
import { MONITOR_MAGIC } from './format.js';

/** A data file found on disk. */
export interface FoundDataFile {
  path: string;
  /** Start of the recording (header `start`), epoch milliseconds. */
  start: number;
  size: number;
}

/** Reads the first line of a file (at most 64 KiB) without loading the rest. */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    const nl = text.indexOf('\n');
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}

/** Whether `path` is a heapy recording: a file whose first line is a heapy-monitor header. */
export function isRecording(path: string): boolean {
  try {
    return statSync(path).isFile() && firstLine(path).startsWith(MONITOR_MAGIC + ' ');
  } catch {
    return false;
  }
}

/** The heapy data files (`heapy-*.dat` whose first line is a heapy-monitor header) in `dir`, oldest first. */
export function findDataFiles(dir: string): FoundDataFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new HeapyError(`${dir}: cannot list (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ExitCode.fileNotFound);
  }
  const out: FoundDataFile[] = [];
  for (const name of names) {
    if (!name.startsWith('heapy-') || !name.endsWith('.dat')) continue;
    const path = join(dir, name);
    try {
      if (!isRecording(path)) continue;
      const st = statSync(path);
      const line = firstLine(path);
      const json = line.slice(line.indexOf('{'));
      const start = (JSON.parse(json) as { start?: unknown }).start;
      out.push({ path, start: typeof start === 'number' ? start : st.mtimeMs, size: st.size });
    } catch {
      // Unreadable or foreign file with a matching name: not ours to list.
    }
  }
  return out.sort((a, b) => a.start - b.start || a.path.localeCompare(b.path));
}

/** The newest data file in `dir` (what `heapy plot` and `heapy peak` use without an argument). */
export function latestDataFile(dir: string): string {
  const files = findDataFiles(dir);
  const last = files[files.length - 1];
  if (!last) throw new HeapyError(`no heapy-*.dat data files in ${dir} (record one with 'heapy run -- <command>')`, ExitCode.fileNotFound);
  return last.path;
}

/**
 * The file a recording argument names: a file name, or the number `heapy list` shows for it in
 * `dir` (a file of that name wins, as it would for any other command). `listed` is
 * {@link findDataFiles} of `dir` when the caller already has it.
 */
export function resolveRecording(arg: string, dir: string, listed?: readonly FoundDataFile[]): string {
  if (!/^\d+$/.test(arg) || existsSync(resolve(dir, arg))) return arg;
  const list = listed ?? findDataFiles(dir);
  const found = list[Number(arg)];
  if (!found) {
    const range = list.length === 0 ? 'there are none' : list.length === 1 ? "'heapy list' shows only 0" : `'heapy list' shows 0 to ${list.length - 1}`;
    throw new HeapyError(`no recording ${arg} in ${dir} (${range})`, ExitCode.fileNotFound);
  }
  return found.path;
}
