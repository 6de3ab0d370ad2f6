/**
 * The fuzzer's child process: runs the CLI's `main` for each `{ args }` message and replies with
 * the exit code and what it wrote. In-process, so a case costs a load, not a Node start (~0.1 s
 * each); `main` is what bin.js runs, with the same exit codes and messages.
 */
import { main } from '../../src/cli/main.js';

type Writer = typeof process.stdout.write;
let out = '';
let err = '';
// Everything a command prints goes through these two (console.log included).
process.stdout.write = ((chunk: string | Uint8Array) => {
  out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return true;
}) as Writer;
process.stderr.write = ((chunk: string | Uint8Array) => {
  err += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return true;
}) as Writer;

process.on('message', (m: { args: string[] }) => {
  out = '';
  err = '';
  // bin.js's handler for a rejected main: the same line and exit code 1.
  main(m.args).then(
    (code) => process.send!({ code, stdout: out, stderr: err }),
    (e: unknown) => process.send!({ code: 1, stdout: out, stderr: `heapy: internal error: ${String(e)}\n` }),
  );
});
