#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's own test runner.
// Node 20's `--test` takes no glob, so the files are listed here.
// Usage: node scripts/run-tests.mjs [name-filter...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const files = [];
(function walk(d) {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})(dir);
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test');
  process.exit(2);
}
const reporter = process.env.HEAPY_TEST_REPORTER ?? 'spec';
const r = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
