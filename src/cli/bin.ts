#!/usr/bin/env node
// The installed `heapy` executable: runs the CLI and sets the exit code.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { ExitCode } from '../errors.js';
import { main } from './main.js';

// Big snapshots: run in a process whose glibc backs large allocations with transparent huge
// pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc >= 2.35). The engine walks gigabytes of
// typed arrays in random order; with 4 KB pages most of that time is TLB misses. Measured on the
// 1.1 GB bench file: 12.2 s -> 9.4 s wall, 12.4 s -> 8.1 s user. Small files are not worth the
// second process start (~50 ms).
const HUGE_FROM = 256 * 1024 * 1024;

function wantsHugePages(args: string[]): boolean {
  if (process.platform !== 'linux' || (process.env.GLIBC_TUNABLES ?? '').includes('hugetlb')) return false;
  if (process.env.HEAPY_NO_HUGE_PAGES === '1') return false;
  return args.some((a) => {
    if (a.startsWith('-')) return false;
    try {
      const st = statSync(a);
      return st.isFile() && st.size >= HUGE_FROM;
    } catch {
      return false;
    }
  });
}

// A failed write to stdout arrives as an 'error' event (EPIPE from a pipe, ENOSPC from a full
// disk), which Node turns into a stack trace when no one listens. Handled here, once for every
// command: a reader that went away (`heapy summary F | head -1`) is a normal end, so exit quietly
// as other Unix tools do; any other failure is one line and the write-failed exit code.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok);
  process.stderr.write(`heapy: cannot write to standard output (${err.code ?? err.message})\n`);
  process.exit(ExitCode.writeFailed);
});

const args = process.argv.slice(2);
if (wantsHugePages(args)) {
  const tunables = [process.env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':');
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  process.exitCode = r.status ?? (r.signal === 'SIGINT' ? 130 : 1);
} else {
  main(args).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`heapy: internal error: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
