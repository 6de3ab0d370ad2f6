#!/usr/bin/env node
// Runs a Node script in this process and, when the process exits, prints its peak RSS as a
// BENCH_RESULT line. bench/run.mjs uses it for heapy's CLI when GNU time (/usr/bin/time) is not
// installed: getrusage's ru_maxrss of our own process is exact, polling /proc from outside is not.
// Usage: node bench/with-rss.mjs SCRIPT [args...]
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULT_TAG } from './driver-common.mjs';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: with-rss.mjs SCRIPT [args...]\n');
  process.exit(2);
}
const target = resolve(script);
// The script sees the command line it would have had if run directly.
process.argv = [process.argv[0], target, ...args];
process.on('exit', (code) => {
  const maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  writeSync(1, `${RESULT_TAG}${JSON.stringify({ wrapped: script, exitCode: code, maxRssMB })}\n`);
});
await import(pathToFileURL(target).href);
