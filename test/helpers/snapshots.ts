/**
 * Real snapshots for tests, made by running the programs in test/programs/ with Node.
 * Each program is run once per test process; the files live in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The built CLI entry point. */
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'bin.js');

let dir: string | undefined;
const made = new Map<string, string>();

/** A temporary directory for this test process. */
export function testDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'heapy-test-'));
  return dir;
}

/** Runs test/programs/<program> with the snapshot path as its argument; returns that path. */
export function makeSnapshot(program: string): string {
  const hit = made.get(program);
  if (hit) return hit;
  const out = join(testDir(), program.replace(/\W/g, '_') + '.heapsnapshot');
  execFileSync(process.execPath, [join(repoRoot, 'test', 'programs', program), out], { stdio: 'inherit' });
  made.set(program, out);
  return out;
}
