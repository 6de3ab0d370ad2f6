// Snapshots read from `-` (standard input) and from FIFOs, through real pipes and `mkfifo`: the
// same output as from the file, and a FIFO with no writer waits with a notice, ended by Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../src/errors.js';
import { cliPath, makeSnapshot, testDir } from './helpers/snapshots.js';

function heapy(args: string[], stdin: number | 'pipe' = 'pipe') {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, stdio: [stdin, 'pipe', 'pipe'] });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs heapy with `feed` writing into its stdin pipe (or a FIFO); resolves to its exit and output. */
function heapyAsync(args: string[], feed?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  feed?.(child);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

function mkfifo(name: string): string {
  const path = join(testDir(), name);
  execFileSync('mkfifo', [path]);
  return path;
}

test('summary - reads the snapshot from stdin, redirected from a file or piped', async () => {
  const file = makeSnapshot('known-heap.mjs');
  const expected = heapy(['summary', file, '--retained']);
  assert.equal(expected.code, 0, expected.err);
  const fd = openSync(file, 'r');
  const redirected = heapy(['summary', '-', '--retained'], fd);
  closeSync(fd);
  assert.equal(redirected.code, 0, redirected.err);
  assert.equal(redirected.err, '');
  assert.equal(redirected.out, expected.out);
  const piped = await heapyAsync(['summary', '-', '--retained'], (child) => createReadStream(file).pipe(child.stdin!));
  assert.equal(piped.code, 0, piped.err);
  assert.equal(piped.out, expected.out);
});

test('summary of a FIFO streams what its writer sends', async () => {
  const file = makeSnapshot('known-heap.mjs');
  const expected = heapy(['summary', file]);
  const fifo = mkfifo('writer.fifo');
  const run = heapyAsync(['summary', fifo]);
  // The writer comes after heapy has opened (or is opening) the reading end.
  const writer = spawn('sh', ['-c', `sleep 0.3; cat "$0" > "$1"`, file, fifo], { stdio: 'inherit' });
  const written = new Promise((resolve) => writer.on('close', resolve));
  const r = await run;
  await written;
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '', 'data arrived within a second: no waiting notice');
  assert.equal(r.out, expected.out);
});

test('a FIFO with no writer waits with one notice on stderr; Ctrl-C ends it', async () => {
  const fifo = mkfifo('nobody.fifo');
  const started = Date.now();
  const r = await heapyAsync(['summary', fifo], (child) => {
    child.stderr!.once('data', () => child.kill('SIGINT'));
  });
  assert.equal(r.signal, 'SIGINT', `ended by the signal, as cat is (exit ${r.code})`);
  assert.equal(r.err, `heapy: waiting for a writer on the FIFO ${fifo} (Ctrl-C to stop)\n`);
  assert.ok(Date.now() - started < 10_000);
});

test('an empty stdin is a bad snapshot; stdin read twice is a usage error', async () => {
  const empty = await heapyAsync(['summary', '-'], (child) => child.stdin!.end());
  assert.equal(empty.code, ExitCode.badSnapshot);
  assert.equal(empty.err, 'heapy: stdin: empty input, not a heap snapshot (at byte 0)\n');
  const file = makeSnapshot('known-heap.mjs');
  const twice = await heapyAsync(['diff', '-', '-'], (child) => createReadStream(file).pipe(child.stdin!));
  assert.equal(twice.code, ExitCode.usage);
  assert.match(twice.err, /^heapy: standard input \('-'\) can be read only once/);
});
