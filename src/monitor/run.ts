/**
 * `heapy run`: start a command, sample its memory until it exits.
 * RSS comes from /proc; V8 figures, GC events and marks come from the preload probe
 * (./probe.cts, built to dist/src/monitor/probe.cjs) over a private Unix socket.
 */
// tsconfig's include matches *.ts only; this type-only import pulls probe.cts into the build.
import type {} from './probe.cjs';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, HeapyError } from '../errors.js';
import { MonitorWriter } from './format.js';
import { Recorder, every, makeHeader, type LiveState } from './recorder.js';

/** Absolute path of the built preload probe. */
export const PROBE_PATH = fileURLToPath(new URL('./probe.cjs', import.meta.url));

/** Options of {@link startRun}. */
export interface RunOptions {
  /** The command and its arguments. */
  command: string[];
  /** Data file to write (default: a new heapy-run-YYYYMMDDHHMMSS.dat in the working directory). */
  output?: string;
  /** Sampling interval, milliseconds. */
  intervalMs: number;
  /** Sample descendants too (cluster workers, children of npm or a shell). */
  includeChildren: boolean;
  /** Preload the probe into Node processes (V8 figures, GC events, marks). Default true. */
  probe?: boolean;
  /** Working directory and stdio of the command (default: heapy's own cwd, inherited stdio). */
  cwd?: string;
  stdio?: StdioOptions;
  /** Extra environment for the command. */
  env?: NodeJS.ProcessEnv;
  /** Called after every sampling tick. */
  onTick?: (state: LiveState) => void;
}

/** How the command ended. */
export interface RunResult {
  /** The command's exit code, or null if a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What heapy should exit with: the code, or 128 + signal number like a shell. */
  exitCode: number;
  /** The data file. */
  file: string;
}

/** A command running under heapy. */
export interface RunningCommand {
  pid: number;
  /** The spawned child, for callers that piped its stdio. */
  child: ChildProcess;
  /** Sends a signal to the command (heapy forwards SIGINT and SIGTERM with this). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the command has exited and the data file is closed. */
  done: Promise<RunResult>;
}

/** Quotes a path for NODE_OPTIONS, which splits on spaces but honours double quotes and backslashes. */
export function quoteNodeOption(value: string): string {
  return /[\s"\\]/.test(value) ? `"${value.replace(/[\\"]/g, (c) => '\\' + c)}"` : value;
}

/** NODE_OPTIONS for a child: the existing value plus `--require <probe>`. */
export function nodeOptionsWithProbe(existing: string | undefined, probePath = PROBE_PATH): string {
  const add = `--require ${quoteNodeOption(probePath)}`;
  return existing && existing.trim() !== '' ? `${existing} ${add}` : add;
}

/** Parsed probe message (see probe.cts). */
interface ProbeMessage {
  type: string;
  ts?: number;
  pid?: number;
  ppid?: number;
  argv?: string[];
  kind?: string;
  duration?: number;
  label?: string;
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
  arrayBuffers?: number;
  spaces?: Record<string, [number, number]>;
}

/** Accepts probe connections and feeds their messages to the recorder. */
function serveProbes(server: Server, recorder: Recorder, sockets: Set<Socket>): void {
  server.on('connection', (sock) => {
    sockets.add(sock);
    let pid = -1;
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: ProbeMessage;
        try {
          msg = JSON.parse(line) as ProbeMessage;
        } catch {
          continue;
        }
        if (msg.type === 'hello' && typeof msg.pid === 'number') {
          if (!recorder.accepts(msg.pid)) {
            // Not sampled (no --include-children): the probe stops when its socket closes.
            sock.destroy();
            return;
          }
          pid = msg.pid;
          recorder.seen(pid, msg.ppid, msg.argv);
          continue;
        }
        if (pid < 0) continue;
        const ts = typeof msg.ts === 'number' ? msg.ts : Date.now();
        if (msg.type === 'heap') {
          recorder.heap(pid, {
            ts,
            heapUsed: msg.heapUsed ?? 0,
            heapTotal: msg.heapTotal ?? 0,
            external: msg.external ?? 0,
            arrayBuffers: msg.arrayBuffers ?? 0,
            ...(msg.spaces ? { spaces: msg.spaces } : {}),
          });
        } else if (msg.type === 'gc') {
          recorder.gc(pid, ts, msg.kind ?? 'other', msg.duration ?? 0);
        } else if (msg.type === 'mark') {
          recorder.mark(pid, ts, msg.label ?? '');
        }
      }
    });
  });
}

/** Spawns `opts.command` and records its memory into `opts.output` until it exits. */
export async function startRun(opts: RunOptions): Promise<RunningCommand> {
  const [file, ...args] = opts.command;
  if (!file) throw new HeapyError('no command given (usage: heapy run [options] -- <command...>)', ExitCode.usage);
  const useProbe = opts.probe !== false;
  const start = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  let dir: string | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const cleanupDir = (): void => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  };

  // The recorder needs the root pid, known only after spawn; probe messages wait in the socket
  // buffers meanwhile, so the server is created first and fed once the recorder exists.
  if (useProbe) {
    // mkdtemp creates the directory with mode 0700: only this user can reach the socket.
    dir = mkdtempSync(join(tmpdir(), 'heapy-probe-'));
    const socketPath = join(dir, 's');
    server = createServer();
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(socketPath, () => resolve());
    });
    env.NODE_OPTIONS = nodeOptionsWithProbe(env.NODE_OPTIONS);
    env.HEAPY_PROBE_SOCKET = socketPath;
    env.HEAPY_PROBE_INTERVAL = String(opts.intervalMs);
  }

  const child = spawn(file, args, { stdio: opts.stdio ?? 'inherit', env, cwd: opts.cwd ?? process.cwd() });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    server?.close();
    cleanupDir();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HeapyError(`cannot run '${file}': command not found`, ExitCode.fileNotFound);
    if (code === 'EACCES') throw new HeapyError(`cannot run '${file}': permission denied`, ExitCode.permissionDenied);
    throw new HeapyError(`cannot run '${file}': ${code ?? String(err)}`, ExitCode.internal);
  }
  const pid = child.pid as number;
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));

  let writer: MonitorWriter;
  try {
    writer = MonitorWriter.open(
      opts.output,
      opts.cwd ?? process.cwd(),
      makeHeader({ mode: 'run', start, command: opts.command, pid, interval: opts.intervalMs / 1000, includeChildren: opts.includeChildren }),
    );
  } catch (err) {
    child.kill('SIGTERM');
    server?.close();
    cleanupDir();
    throw err;
  }
  const recorder = new Recorder({ writer, start, rootPid: pid, includeChildren: opts.includeChildren, onTick: opts.onTick });
  recorder.seen(pid, process.pid, opts.command);
  if (server) serveProbes(server, recorder, sockets);
  const stopTicks = every(opts.intervalMs, () => recorder.tick());

  const done = (async (): Promise<RunResult> => {
    const [code, signal] = await exited;
    stopTicks();
    recorder.exited(pid, code, signal);
    if (server) {
      // Let probes of processes that just ended deliver their last lines (they arrive within a few
      // milliseconds of exit); 200 ms bounds the wait when a descendant outlives the command.
      const deadline = Date.now() + 200;
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    recorder.end();
    cleanupDir();
    const sigNum = signal ? (osConstants.signals as Record<string, number>)[signal] ?? 0 : 0;
    return { code, signal, exitCode: code ?? 128 + sigNum, file: writer.path };
  })();

  return {
    pid,
    child,
    kill(sig) {
      try {
        child.kill(sig);
      } catch {
        // Already gone.
      }
    },
    done,
  };
}
