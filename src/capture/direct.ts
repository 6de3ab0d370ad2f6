/**
 * The fast capture path for a target on this machine: the target writes its snapshot itself,
 * with `v8.writeHeapSnapshot`, into a file heapy created (exclusively, mode 0600), and heapy reads
 * that file while V8 is still writing it.
 *
 * Why: over CDP the target turns every ~100 KB chunk into a UTF-16 string, a JSON message and a
 * WebSocket frame, and heapy decodes each again (UTF-8, JSON, latin1) before parsing; with
 * `reportProgress` V8 also walks the heap once more to count objects. Measured by
 * bench/attach-bench.mjs on a 71 MB heap (103 MB snapshot): `heapy heap` took 1.55x and
 * `heapy snapshot` 1.26x the time of the target's own writeHeapSnapshot. Writing the file is
 * exactly V8's own speed, and the target never waits for heapy.
 *
 * Only where it is safe: the target must see the same file at the same path (same mount namespace
 * and root directory) and be able to open heapy's 0600 file (same effective uid). Anywhere else,
 * or with HEAPY_CAPTURE_VIA=cdp, the snapshot comes over CDP as before (remote.ts).
 */
import { closeSync, constants, fstatSync, openSync, read as readCb, readlinkSync, statfsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ExitCode, HeapyError } from '../errors.js';
import type { CdpSession } from '../attach/cdp.js';
import { formatDuration } from '../util/format.js';

/** What {@link followTargetWrite} needs besides the session and the file. */
export interface FollowOptions {
  /** The target's pid (its CPU time tells a busy target from a stuck one). */
  readonly pid: number;
  /** Fail with targetTimeout when neither the file grows nor the target uses CPU for this long. */
  readonly idleMs: number;
  readonly signal?: AbortSignal | undefined;
  /** The error to throw when `signal` aborts. */
  readonly cancelled: () => Error;
  /** Bytes of the file so far (total 0: unknown until V8 is done). */
  readonly onBytes?: (bytes: number) => void;
  /** Called when V8 starts walking the heap, and every second of it until the first bytes come. */
  readonly onWalk?: () => void;
  /** Called once the target has started writing (the file is no longer empty). */
  readonly onStarted?: () => void;
  /** Called with V8's write still under way when heapy stops following (cancelled, timed out). */
  readonly onGiveUp?: (writing: Promise<unknown>) => void;
}

/** The target could not write the file (it threw before writing anything): take the CDP path. */
export class DirectUnavailable extends Error {}

function sameLink(a: string, b: string): boolean {
  try {
    return readlinkSync(a) === readlinkSync(b);
  } catch {
    return false;
  }
}

function sameInode(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

// statfs f_type of the file systems whose files live in memory (linux/magic.h).
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/**
 * True when files in `dir` live in memory (tmpfs, ramfs; /tmp is one in many containers): a
 * snapshot written there takes as much RAM again as its size, charged to the memory cgroup of
 * the process writing it, the target, which the cost guard did not count. Unknown: false.
 */
export function inMemoryDir(dir: string): boolean {
  try {
    const { type } = statfsSync(dir);
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * True when the target `pid` would open exactly the file heapy names, and may: same mount
 * namespace, same root, same effective uid. False (take CDP) when any of it cannot be read.
 */
export async function canWriteDirect(pid: number | 'self' | null | undefined): Promise<boolean> {
  if (typeof pid !== 'number' || process.env.HEAPY_CAPTURE_VIA === 'cdp') return false;
  if (!sameLink(`/proc/${pid}/ns/mnt`, '/proc/self/ns/mnt') || !sameInode(`/proc/${pid}/root`, '/')) return false;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  // Uid: real, effective, saved, filesystem; the filesystem uid decides who opens files.
  const fsUid = /^Uid:\s+\d+\s+\d+\s+\d+\s+(\d+)/m.exec(status)?.[1];
  return fsUid !== undefined && Number(fsUid) === process.geteuid?.();
}

/** User + system CPU time of `pid` in clock ticks (/proc/PID/stat fields 14 and 15), or -1. */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 13 ? Number(fields[11]) + Number(fields[12]) : -1;
}

const CHUNK = 1024 * 1024;

/**
 * Has the target write its snapshot into `path` (which must exist, empty, created by heapy) and
 * hands every piece of it to `sink` as V8 writes it, in order; the buffer passed is reused for
 * the next piece, so `sink` must copy what it keeps (the parser does). With `sink` null, nothing
 * is read while V8 writes. Resolves with the file's size once V8 is done. Throws
 * {@link DirectUnavailable} when the target could not start the write.
 */
export async function followTargetWrite(
  session: CdpSession,
  path: string,
  sink: ((piece: Buffer) => void) | null,
  options: FollowOptions,
): Promise<number> {
  const fd = openSync(path, constants.O_RDONLY);
  // The target checks that `path` is this very file before writing (same device and inode): a
  // target that sees another file system there (a container) would otherwise write into its own.
  const { dev, ino } = fstatSync(fd);
  const buf = Buffer.allocUnsafe(sink ? CHUNK : 0);
  let pos = 0;
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const expression = `(() => {
    const req = (m) => process.getBuiltinModule?.(m) ?? require(m);
    const st = req('fs').statSync(${JSON.stringify(path)});
    if (st.dev !== ${dev} || st.ino !== ${ino} || st.size !== 0) throw new Error('not the file heapy created');
    req('v8').writeHeapSnapshot(${JSON.stringify(path)});
    return true;
  })()`;
  const writing = session
    .send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, includeCommandLineAPI: true, returnByValue: true, silent: true },
      { timeoutMs: 0 },
    )
    .then((r) => {
      if (r.exceptionDetails) {
        const why = (r.exceptionDetails.exception?.description ?? r.exceptionDetails.text).split('\n')[0]!;
        failure = pos === 0 && fileSize(fd) === 0 ? new DirectUnavailable(why) : new HeapyError(`${session.label}: the target failed writing its snapshot (${why})`, ExitCode.writeFailed);
      }
    })
    .catch((err: unknown) => {
      failure = err as Error;
    })
    .finally(() => {
      done = true;
      wake?.();
    });
  options.onWalk?.();
  let lastActivity = Date.now();
  let lastTicks = await cpuTicks(options.pid);
  let lastSize = 0;
  let started = false;
  const onAbort = (): void => wake?.();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const watchdog = setInterval(() => {
    void cpuTicks(options.pid).then((t) => {
      const size = fileSize(fd);
      if (t !== lastTicks || size !== lastSize) lastActivity = Date.now();
      lastTicks = t;
      lastSize = size;
      if (Date.now() - lastActivity > options.idleMs) wake?.();
      if (!started) options.onWalk?.();
    });
  }, Math.min(1000, options.idleMs));
  try {
    for (;;) {
      if (options.signal?.aborted) throw options.cancelled();
      if (Date.now() - lastActivity > options.idleMs) {
        throw new HeapyError(`${session.label}: the target wrote no snapshot data and used no CPU for ${formatDuration(options.idleMs)} (stopped or stuck?)`, ExitCode.targetTimeout);
      }
      // Read what is there; only once V8 is done does an empty read mean the end.
      const finished = done;
      const n = sink ? await readAt(fd, buf, pos) : fileSize(fd) - pos;
      if (n > 0) {
        pos += n;
        lastActivity = Date.now();
        if (!started) {
          started = true;
          options.onStarted?.();
        }
        sink?.(n === buf.length ? buf : buf.subarray(0, n));
        options.onBytes?.(pos);
        continue;
      }
      if (finished) break;
      // V8 writes in 64 KiB pieces; 20 ms lets about a megabyte gather between reads.
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 20);
      });
      wake = undefined;
    }
    if (failure) throw failure;
    if (pos === 0) throw new HeapyError(`${session.label}: the target wrote no snapshot into ${path}`, ExitCode.internal);
    return pos;
  } catch (err) {
    if (!done) options.onGiveUp?.(writing);
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    clearInterval(watchdog);
    closeSync(fd);
  }
}

function fileSize(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}

function readAt(fd: number, buf: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => readCb(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}
