/**
 * The monitor data file (`heapy-run-*.dat`): line-based, append-only, versioned.
 * Line 1 is `# heapy-monitor <version> <header json>`; every other non-blank line is one JSON record.
 * Lines starting with `#` after the header are comments. The full description is in docs/monitor-format.md.
 */
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, HeapyError, writeFailedError } from '../errors.js';
import { createExclusive, ReplacingFile } from '../util/safe-write.js';

/** The format version this heapy writes; readers refuse files with a larger one. */
export const MONITOR_FORMAT_VERSION = 1;

/** The magic that starts every data file. */
export const MONITOR_MAGIC = '# heapy-monitor';

/** What the first line says about the whole recording. */
export interface MonitorHeader {
  /** `run` (heapy started the command) or `monitor` (heapy attached to a running pid). */
  mode: 'run' | 'monitor';
  /** Wall-clock start of the recording, milliseconds since the epoch; every record's `t` counts from here. */
  start: number;
  /** The command line (run mode) or the target's command line as read from /proc (monitor mode). */
  command: string[];
  /** Working directory of heapy when it started. */
  cwd: string;
  /** The pid heapy started or attached to. */
  pid: number;
  /** Sampling interval in seconds. */
  interval: number;
  /** Whether descendants of `pid` were sampled too. */
  includeChildren: boolean;
  /** heapy's version. */
  heapy: string;
  /** Host name, so a file copied off a server still says where it came from. */
  host: string;
}

/** A process was seen for the first time. */
export interface ProcRecord {
  type: 'proc';
  /** Seconds since the header's start. */
  t: number;
  pid: number;
  ppid: number;
  /** Command line joined with spaces (from /proc/<pid>/cmdline, or the probe's argv). */
  cmd: string;
}

/** Resident set size of one process, read from /proc/<pid>/status (VmRSS). */
export interface RssRecord {
  type: 'rss';
  t: number;
  pid: number;
  /** Bytes. */
  rss: number;
}

/** V8 heap figures of one Node process (from the preload probe or the inspector); sizes in bytes. */
export interface HeapRecord {
  type: 'heap';
  t: number;
  pid: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Per V8 space: [space size, used size], bytes. */
  spaces?: Record<string, [number, number]>;
}

/** One garbage collection reported by PerformanceObserver('gc'). */
export interface GcRecord {
  type: 'gc';
  /** Start of the collection. */
  t: number;
  pid: number;
  /** `minor` (scavenge), `major` (mark-compact), `incremental` (marking step), `weakcb` or `other`. */
  kind: string;
  /** Milliseconds. */
  duration: number;
}

/** A label the application set with `mark(label)`. */
export interface MarkRecord {
  type: 'mark';
  t: number;
  pid: number;
  label: string;
}

/** A process went away. `code`/`signal` are known only for the process heapy started. */
export interface ExitRecord {
  type: 'exit';
  t: number;
  pid: number;
  code: number | null;
  signal: string | null;
}

/** The recording ended normally (absent when heapy itself was killed). */
export interface EndRecord {
  type: 'end';
  t: number;
}

/**
 * A capture `heapy monitor --snapshot-at` took when its threshold was first crossed: a heap
 * snapshot, or a sampling heap profile when the cost guard refused the snapshot.
 */
export interface CaptureRecord {
  type: 'capture';
  /** When the threshold was crossed (the capture started then). */
  t: number;
  pid: number;
  /** What crossed it: the process's RSS, or its V8 heapUsed. */
  metric: 'rss' | 'heap';
  /** The threshold and the value that crossed it, bytes. */
  threshold: number;
  value: number;
  /** `heapsnapshot`, `heapprofile` (the guard refused the snapshot), or `failed`. */
  kind: 'heapsnapshot' | 'heapprofile' | 'failed';
  /** Absolute path of the file written (absent when it failed). */
  file?: string;
  /** Its size, bytes. */
  bytes?: number;
  /** When the file was complete. */
  done: number;
  /** Why it is a profile instead of a snapshot, or why it failed. */
  note?: string;
}

/** Any record of a data file. */
export type MonitorRecord = ProcRecord | RssRecord | HeapRecord | GcRecord | MarkRecord | ExitRecord | EndRecord | CaptureRecord;

/** A parsed data file. */
export interface MonitorData {
  /** Where it was read from (a path or a label). */
  source: string;
  header: MonitorHeader;
  /** Records in file order (which is time order per writer). Unknown record types are dropped. */
  records: MonitorRecord[];
  /** True when the last line was cut off (the file is still being written). */
  partialTail: boolean;
}

const knownTypes = new Set(['proc', 'rss', 'heap', 'gc', 'mark', 'exit', 'end', 'capture']);

/** Formats the header line (without the newline). */
export function formatHeader(header: MonitorHeader): string {
  return `${MONITOR_MAGIC} ${MONITOR_FORMAT_VERSION} ${JSON.stringify(header)}`;
}

/** Rounds seconds to the millisecond: the file holds no finer time. */
export function roundT(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Parses the text of a data file; `source` names it in error messages. */
export function parseMonitorText(text: string, source: string): MonitorData {
  const firstNl = text.indexOf('\n');
  const first = firstNl < 0 ? text : text.slice(0, firstNl);
  if (!first.startsWith(MONITOR_MAGIC + ' ')) {
    throw new HeapyError(`${source}: not a heapy monitor file (first line does not start with '${MONITOR_MAGIC}')`, ExitCode.badInput);
  }
  const rest = first.slice(MONITOR_MAGIC.length + 1);
  const sp = rest.indexOf(' ');
  const version = Number(sp < 0 ? rest : rest.slice(0, sp));
  if (!Number.isInteger(version) || version < 1) {
    throw new HeapyError(`${source}: bad format version in header line`, ExitCode.badInput);
  }
  if (version > MONITOR_FORMAT_VERSION) {
    throw new HeapyError(`${source}: format version ${version} is newer than this heapy reads (${MONITOR_FORMAT_VERSION}); upgrade heapy`, ExitCode.badInput);
  }
  let header: MonitorHeader;
  try {
    header = JSON.parse(rest.slice(sp + 1)) as MonitorHeader;
  } catch {
    throw new HeapyError(`${source}: header line is not valid JSON`, ExitCode.badInput);
  }
  if (typeof header !== 'object' || header === null || typeof header.start !== 'number') {
    throw new HeapyError(`${source}: header lacks a numeric 'start'`, ExitCode.badInput);
  }
  const records: MonitorRecord[] = [];
  let partialTail = false;
  let pos = firstNl < 0 ? text.length : firstNl + 1;
  let lineNo = 1;
  while (pos < text.length) {
    lineNo++;
    let nl = text.indexOf('\n', pos);
    const complete = nl >= 0;
    if (!complete) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      // A writer that is still running may have written half a line: tolerate it only at the end.
      if (!complete) {
        partialTail = true;
        break;
      }
      throw new HeapyError(`${source}:${lineNo}: record is not valid JSON`, ExitCode.badInput);
    }
    const r = rec as { type?: unknown; t?: unknown };
    if (typeof r !== 'object' || r === null || typeof r.type !== 'string' || typeof r.t !== 'number') {
      throw new HeapyError(`${source}:${lineNo}: record lacks 'type' or numeric 't'`, ExitCode.badInput);
    }
    // Types added by later minor revisions are skipped, so old readers keep working.
    if (knownTypes.has(r.type)) records.push(rec as MonitorRecord);
  }
  return { source, header, records, partialTail };
}

/** Reads and parses a data file. */
export function readMonitorFile(path: string): MonitorData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HeapyError(`${path}: no such file`, ExitCode.fileNotFound);
    if (code === 'EACCES') throw new HeapyError(`${path}: permission denied`, ExitCode.fileNotFound);
    if (code === 'EISDIR') throw new HeapyError(`${path}: is a directory`, ExitCode.fileNotFound);
    throw err;
  }
  return parseMonitorText(text, path);
}

/**
 * Appends records to a data file. Each `write` is one write(2) of whole lines, so a reader
 * (`tail -f`, `heapy plot` on a live file) never sees a record split across two writes.
 */
export class MonitorWriter {
  /** Path of the file being written. */
  readonly path: string;
  private fd: number;
  private pending: string[] = [];

  /**
   * Creates `path` with the header line, private (0600) and never through a planted file: with
   * `exclusive`, created in place with O_EXCL (failing with the raw EEXIST, so a caller can pick
   * another name); otherwise written to a temporary file and renamed over `path` at once, so live
   * readers see the recording grow under its name (util/safe-write.ts).
   */
  constructor(path: string, header: MonitorHeader, exclusive = false) {
    this.path = path;
    const line = formatHeader(header) + '\n';
    try {
      if (exclusive) {
        this.fd = createExclusive(path);
        try {
          writeSync(this.fd, line);
        } catch (err) {
          closeSync(this.fd);
          throw err;
        }
      } else {
        const file = ReplacingFile.create(path);
        file.write(line);
        file.publish();
        this.fd = file.descriptor;
      }
    } catch (err) {
      if (exclusive && (err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
      throw writeFailedError(path, err);
    }
  }

  /**
   * Opens `path`, or when it is undefined a new default-named file in `dir`
   * (heapy-<mode>-YYYYMMDDHHMMSS.dat, then -1, -2, ... if two recordings start in the same second).
   */
  static open(path: string | undefined, dir: string, header: MonitorHeader): MonitorWriter {
    if (path !== undefined) return new MonitorWriter(path, header);
    const base = join(dir, defaultDataFileName(header.mode, new Date(header.start)).replace(/\.dat$/, ''));
    for (let i = 0; ; i++) {
      try {
        return new MonitorWriter(i === 0 ? `${base}.dat` : `${base}-${i}.dat`, header, true);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 999) throw err;
      }
    }
  }

  /** Queues a record; it reaches the file on the next `flush`. */
  add(record: MonitorRecord): void {
    this.pending.push(JSON.stringify(record));
  }

  /** Writes the queued records now (one system call). */
  flush(): void {
    if (this.pending.length === 0 || this.fd < 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    writeSync(this.fd, text);
  }

  /** Flushes and closes; further records are dropped. */
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** The default file name, like mprof's: `heapy-<mode>-YYYYMMDDHHMMSS.dat` in local time. */
export function defaultDataFileName(mode: 'run' | 'monitor', when = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${when.getFullYear()}${p(when.getMonth() + 1)}${p(when.getDate())}${p(when.getHours())}${p(when.getMinutes())}${p(when.getSeconds())}`;
  return `heapy-${mode}-${stamp}.dat`;
}
