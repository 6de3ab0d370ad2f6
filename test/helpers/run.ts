/** Running Node programs (the CLI, test programs) as child processes and collecting what they print. */
import { spawn, type ChildProcess } from 'node:child_process';

/** How a child process ended and what it printed. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `node` child: the process, its end, and what it has printed on stderr so far. */
export interface Started {
  child: ChildProcess;
  done: Promise<Run>;
  stderr(): string;
}

/** Starts `node ...args` in `cwd`; `done` resolves when it has exited and closed its output. */
export function startNode(args: string[], cwd: string): Started {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))), stderr: () => stderr };
}

/** Runs `node ...args` in `cwd` and resolves when it has exited and closed its output. */
export function runNode(args: string[], cwd: string): Promise<Run> {
  return startNode(args, cwd).done;
}
