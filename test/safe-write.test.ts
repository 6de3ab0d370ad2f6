// Files heapy writes, as root into a shared (1777) directory where another user planted files at
// the names heapy used to open: util/safe-write.ts must never write through them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendPrivate, ReplacingFile, writeFileReplacing } from '../src/util/safe-write.js';
import { dumpStat } from '../src/api/stat.js';
import { MonitorWriter, readMonitorFile } from '../src/monitor/format.js';
import { makeHeader } from '../src/monitor/recorder.js';
import { ExitCode, HeapyError } from '../src/errors.js';
import { SnapshotBuilder } from './helpers/builder.js';
import { cliPath } from './helpers/snapshots.js';
import { tempFilesOf } from './helpers/temp-files.js';

// The other user: nobody exists on every test machine. Files are planted as root and handed to
// nobody with lchown, which is what they would look like had nobody made them.
const NOBODY = 65534;
const shared = mkdtempSync(join(tmpdir(), 'heapy-safe-write-'));
chmodSync(shared, 0o1777);
after(() => rmSync(shared, { recursive: true, force: true }));

let n = 0;
/** A fresh 1777 directory per test, so the tests cannot see each other's files. */
function sharedDir(): string {
  const d = join(shared, `t${n++}`);
  mkdirSync(d);
  chmodSync(d, 0o1777);
  return d;
}

/** A root-owned file (say /etc/shadow) with its content, to check it is never written. */
function victim(dir: string): string {
  const v = join(dir, 'root-owned-victim');
  writeFileSync(v, 'precious\n', { mode: 0o644 });
  return v;
}

function plantSymlink(to: string, at: string): void {
  symlinkSync(to, at);
  lchownSync(at, NOBODY, NOBODY);
}

const mode = (p: string) => statSync(p).mode & 0o777;

test('a symlink planted at the old <out>.partial name is left alone; the target is written, 0600', () => {
  const d = sharedDir();
  const v = victim(d);
  const out = join(d, 'out.heapsnapshot');
  plantSymlink(v, `${out}.partial`);
  writeFileReplacing(out, 'snapshot text');
  assert.equal(readFileSync(out, 'utf8'), 'snapshot text');
  assert.equal(mode(out), 0o600);
  assert.equal(statSync(out).uid, process.getuid!());
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  assert.equal(readlinkSync(`${out}.partial`), v, 'the plant is untouched');
  assert.deepEqual(tempFilesOf(out), []);
});

test('a symlink planted AT the target is replaced by the new file; its destination is not written', () => {
  const d = sharedDir();
  const v = victim(d);
  const out = join(d, 'report.html');
  plantSymlink(v, out);
  writeFileReplacing(out, '<html>');
  assert.ok(lstatSync(out).isFile(), 'the symlink was replaced, not followed');
  assert.equal(readFileSync(out, 'utf8'), '<html>');
  assert.equal(mode(out), 0o600);
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  assert.equal(mode(v), 0o644);
});

test("a 0666 file of another user's at the target is replaced by a new inode of ours, 0600", () => {
  const d = sharedDir();
  const out = join(d, 'plot.svg');
  writeFileSync(out, 'theirs');
  chmodSync(out, 0o666);
  lchownSync(out, NOBODY, NOBODY);
  const theirs = statSync(out).ino;
  writeFileReplacing(out, 'ours');
  const st = statSync(out);
  assert.notEqual(st.ino, theirs, 'a new file, not their inode (which they could keep open and read)');
  assert.equal(st.uid, process.getuid!());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(readFileSync(out, 'utf8'), 'ours');
});

test('the result is 0600 whatever the umask', () => {
  const d = sharedDir();
  const out = join(d, 'wide.txt');
  const old = process.umask(0);
  try {
    writeFileReplacing(out, 'x');
  } finally {
    process.umask(old);
  }
  assert.equal(mode(out), 0o600);
});

test('a failure after the temporary file exists removes it and leaves the target as it was', async () => {
  const d = sharedDir();
  // rename(2) of a file over a directory fails (EISDIR), even for root.
  const out = join(d, 'is-a-dir');
  mkdirSync(out);
  assert.throws(() => writeFileReplacing(out, 'x'), { code: 'EISDIR' });
  assert.deepEqual(tempFilesOf(out), []);
  assert.ok(statSync(out).isDirectory());
  // The streaming variant: the target keeps its data until the rename, and abort removes the rest.
  const kept = join(d, 'kept.heapsnapshot');
  writeFileSync(kept, 'old');
  const f = ReplacingFile.create(kept);
  await f.writeAsync(Buffer.from('new, half written'));
  assert.equal(readFileSync(kept, 'utf8'), 'old');
  assert.equal(tempFilesOf(kept).length, 1);
  assert.equal(mode(f.tempPath), 0o600);
  f.abort();
  assert.deepEqual(tempFilesOf(kept), []);
  assert.equal(readFileSync(kept, 'utf8'), 'old');
});

test('a directory the writer may not write to leaves no temporary file', () => {
  // Root ignores permission bits, so the writer here is nobody (setpriv), in a directory of root's.
  const d = sharedDir();
  const locked = join(d, 'locked');
  mkdirSync(locked, { mode: 0o755 });
  const out = join(locked, 'r.html');
  // dist/ may not be readable by nobody: root reads the module and hands it over as a data: URL.
  const src = readFileSync(new URL('../src/util/safe-write.js', import.meta.url), 'utf8');
  const url = 'data:text/javascript,' + encodeURIComponent(src);
  const script = `const m = await import(${JSON.stringify(url)}); try { m.writeFileReplacing(${JSON.stringify(out)}, 'x'); } catch (e) { console.log(e.code); }`;
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'EACCES');
  assert.equal(existsSync(out), false);
  assert.deepEqual(tempFilesOf(out), []);
});

test('appends (guppy stat dumps): new files 0600; an existing file only if a regular file of ours', () => {
  const d = sharedDir();
  const v = victim(d);
  const dump = join(d, 'h.stat');
  appendPrivate(dump, 'a\n');
  appendPrivate(dump, 'b\n');
  assert.equal(readFileSync(dump, 'utf8'), 'a\nb\n');
  assert.equal(mode(dump), 0o600);
  // A symlink is not followed (O_NOFOLLOW gives ELOOP).
  const link = join(d, 'link.stat');
  plantSymlink(v, link);
  assert.throws(() => appendPrivate(link, 'x'), { code: 'ELOOP' });
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  // Another user's file, even a world-writable one, is refused.
  const theirs = join(d, 'theirs.stat');
  writeFileSync(theirs, 'theirs\n');
  chmodSync(theirs, 0o666);
  lchownSync(theirs, NOBODY, NOBODY);
  assert.throws(() => appendPrivate(theirs, 'x'), /owned by uid 65534/);
  assert.equal(readFileSync(theirs, 'utf8'), 'theirs\n');
  // A FIFO neither blocks nor is written.
  const fifo = join(d, 'fifo.stat');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  assert.throws(() => appendPrivate(fifo, 'x'), (err: NodeJS.ErrnoException) => err.code === 'ENXIO' || /not a regular file/.test(err.message));
});

test('dumpStat refuses to append to a planted file with a writeFailed error', () => {
  const d = sharedDir();
  const dump = join(d, 'planted.stat');
  writeFileSync(dump, '');
  lchownSync(dump, NOBODY, NOBODY);
  const p = { header: 'Kind (class / dict of class)', count: 1, size: 8, rows: [{ key: 0, count: 1, size: 8, label: 'Object' }] };
  assert.throws(
    () => dumpStat(dump, p),
    (err: unknown) => err instanceof HeapyError && err.exitCode === ExitCode.writeFailed && /planted\.stat: cannot write \(owned by uid 65534/.test(err.message),
  );
  assert.equal(readFileSync(dump, 'utf8'), '');
});

test('a monitor recording at a planted symlink replaces the symlink and grows live under its name', () => {
  const d = sharedDir();
  const v = victim(d);
  const out = join(d, 'run.dat');
  plantSymlink(v, out);
  const w = new MonitorWriter(out, makeHeader({ mode: 'run', start: Date.now(), command: ['node'], pid: 1, interval: 0.1, includeChildren: false }));
  w.add({ type: 'end', t: 0.1 });
  w.flush();
  // Readable under its name before close, as `heapy plot` on a live recording needs.
  assert.ok(lstatSync(out).isFile());
  assert.equal(readFileSync(out, 'utf8').split('\n').length, 3);
  w.close();
  assert.equal(readMonitorFile(out).records.length, 1);
  assert.equal(mode(out), 0o600);
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  assert.deepEqual(tempFilesOf(out), []);
});

function heapy(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('heapy report -o in a shared directory: 0600, plants untouched, replacing a 0600 report keeps 0600', () => {
  const d = sharedDir();
  const v = victim(d);
  const snap = join(d, 'tiny.heapsnapshot');
  const b = new SnapshotBuilder();
  b.node('o', 'object', 'Thing', 64);
  b.edge('root', 'o');
  writeFileSync(snap, b.toJSON());
  const out = join(d, 'report.html');
  plantSymlink(v, `${out}.partial`);
  plantSymlink(v, `${out}.partial-${process.pid + 1}`);
  const first = heapy(['report', snap, '-o', out]);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(mode(out), 0o600, 'a report holds heap strings');
  assert.ok(readFileSync(out, 'utf8').includes('Thing'));
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  const ino = statSync(out).ino;
  const again = heapy(['report', snap, '-o', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(mode(out), 0o600);
  assert.notEqual(statSync(out).ino, ino, 'replaced by rename, not rewritten in place');
  assert.deepEqual(tempFilesOf(out), []);
});
