#!/usr/bin/env node
// The installed `heapy` executable: runs the CLI and sets the exit code.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`heapy: internal error: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
