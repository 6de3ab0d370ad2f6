/**
 * Writing the files heapy produces (snapshots, reports, plots, recordings, dumps) so that nobody
 * else's file is ever written through. heapy often runs as root (to attach to any process), into
 * shared directories such as /tmp (mode 1777), where another user can plant a symlink or a
 * world-writable file at any name heapy would predictably open. So:
 *
 * - whole files go to a temporary file beside the target, under a random name, created with
 *   O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600, then renamed over the target. rename(2) replaces a
 *   symlink at the target rather than following it, and the result is the temporary file's inode:
 *   owned by the writer, mode 0600. An existing target keeps its data until the rename.
 * - append-only files (guppy's stat dumps) are created the same way when new; an existing one is
 *   opened with O_APPEND|O_NOFOLLOW and refused unless it is a regular file the writer owns.
 *
 * Errors are the raw errno errors of node:fs (util imports nothing of heapy); callers wrap them.
 */
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, unlinkSync, write, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

const { O_CREAT, O_EXCL, O_WRONLY, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Mode of every file heapy writes: they hold heap contents (strings, source, tokens). */
export const PRIVATE_FILE_MODE = 0o600;

// A new file: never an existing one, never through a symlink at that name.
const CREATE_FLAGS = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW;

/**
 * Creates `path` exclusively with mode 0600 and returns its descriptor. The explicit fchmod makes
 * the mode exactly 0600 whatever the umask. Throws EEXIST if anything (file, symlink) is there.
 */
export function createExclusive(path: string): number {
  const fd = openSync(path, CREATE_FLAGS, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** Writes all of `data` at the descriptor's position (writeSync may write less than asked). */
function writeAll(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

/**
 * A file being written under a temporary name beside its target: `write` then `commit` (rename
 * into place), or `abort` (remove it). Every failure inside `write`/`commit` aborts first.
 */
export class ReplacingFile {
  /** The final path. */
  readonly path: string;
  /** The temporary file, `.<name>.<pid>.<16 random hex digits>.tmp` in the target's directory. */
  readonly tempPath: string;
  private fd: number;
  private published = false;

  private constructor(path: string, tempPath: string, fd: number) {
    this.path = path;
    this.tempPath = tempPath;
    this.fd = fd;
  }

  /**
   * Creates the temporary file for `path` (exclusively, 0600); throws the open's error, or EISDIR
   * at once when `path` is a directory (before any capture starts, not at the rename). Temporary
   * files for `path` left by a heapy that was killed (its pid no longer runs) are removed first.
   */
  static create(path: string): ReplacingFile {
    if (lstatOrNull(path)?.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    removeStaleTemps(path);
    for (let attempt = 0; ; attempt++) {
      // 64 random bits: a name another user cannot guess, so cannot plant in advance. The pid
      // tells a later run whether the writer still lives.
      const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
      try {
        return new ReplacingFile(path, tempPath, createExclusive(tempPath));
      } catch (err) {
        // EEXIST means a collision with a random name, or someone racing us: try a fresh one.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 9) throw err;
      }
    }
  }

  /** Appends `data` (a string is written as `encoding`, default utf8). */
  write(data: string | Uint8Array, encoding: BufferEncoding = 'utf8'): void {
    this.guard(() => writeAll(this.fd, typeof data === 'string' ? Buffer.from(data, encoding) : data));
  }

  /**
   * Appends `data` without blocking the event loop (for snapshot streams of hundreds of MB). One
   * call at a time: writes go to the current position, and the thread pool runs them in parallel.
   */
  async writeAsync(data: Uint8Array): Promise<void> {
    try {
      for (let off = 0; off < data.length; ) {
        off += await new Promise<number>((resolve, reject) => {
          write(this.fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : resolve(n)));
        });
      }
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /**
   * Flushes to disk and renames over the target, keeping the descriptor open for further
   * (appended) writes that readers of `path` see live; `close` ends it. Used by recordings.
   */
  publish(): void {
    this.guard(() => {
      fsyncSync(this.fd);
      renameSync(this.tempPath, this.path);
    });
    this.published = true;
  }

  /** Flushes, closes and renames over the target: the target now is this file, or was untouched. */
  commit(): void {
    if (!this.published) this.publish();
    this.close();
  }

  /** Closes the descriptor (after `publish`, the file stays; before, prefer `abort`). */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }

  /** Closes and removes the temporary file; the target is untouched. Never throws. */
  abort(): void {
    try {
      this.close();
    } catch {
      // A failed close still releases the descriptor.
    }
    if (this.published) return;
    try {
      unlinkSync(this.tempPath);
    } catch {
      // Already gone.
    }
  }

  /** The descriptor, for callers that write with their own calls (MonitorWriter's appends). */
  get descriptor(): number {
    return this.fd;
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.abort();
      throw err;
    }
  }
}

/** Writes `data` to `path` through a {@link ReplacingFile}: the target is complete or untouched. */
export function writeFileReplacing(path: string, data: string | Uint8Array, encoding: BufferEncoding = 'utf8'): void {
  const f = ReplacingFile.create(path);
  f.write(data, encoding);
  f.commit();
}

/**
 * Appends `data` to `path`: creates it exclusively (0600) when new; an existing one must be a
 * regular file owned by this user, opened without following a symlink (ELOOP) and without blocking
 * on a FIFO (O_NONBLOCK; a no-op for regular files). Otherwise throws an Error (no errno code)
 * whose message is the reason.
 */
export function appendPrivate(path: string, data: string | Uint8Array): void {
  const fd = openAppendPrivate(path);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  } finally {
    closeSync(fd);
  }
}

function openAppendPrivate(path: string): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return createExclusive(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let fd: number;
    try {
      fd = openSync(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      // Removed between the two opens: create it after all.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 3) continue;
      throw err;
    }
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid)) {
      closeSync(fd);
      // No errno code: the reason is the message (an existing file that is not this user's own).
      throw new Error(st.isFile() ? `owned by uid ${st.uid}, not by uid ${uid}` : 'not a regular file');
    }
    return fd;
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** True when a process with this pid runs (or exists under another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of `path` whose writer is gone: `.<name>.<pid>.<hex>.tmp`, ours (same
 * uid), regular files, with a pid that no longer runs. What a `kill -9` during a capture left.
 */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{16}\.tmp$/.exec(name.slice(prefix.length));
    if (!m || running(Number(m[1]))) continue;
    const st = lstatOrNull(join(dir, name));
    if (!st?.isFile() || (uid !== undefined && st.uid !== uid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
}
