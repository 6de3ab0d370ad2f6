/**
 * heapy's preload probe, loaded into Node processes with `NODE_OPTIONS=--require <this file>` by
 * `heapy run` and `heapy alloc -- <command>`. It is CommonJS because `--require` preloads CJS in
 * ESM and CJS programs alike. It stays silent and inert unless heapy's environment variables are set,
 * never keeps the process alive (timer and socket are unref'd), and swallows its own errors: it
 * must never change what the program does.
 *
 * HEAPY_PROBE_SOCKET=<unix socket path>: report to heapy every HEAPY_PROBE_INTERVAL ms (JSON lines):
 *   {type:'hello', pid, ppid, argv, node, ts}, {type:'heap', ts, heapUsed, ...},
 *   {type:'gc', ts, kind, duration}, {type:'mark', ts, label}.   (ts: epoch milliseconds)
 * HEAPY_PROBE_INSPECT=<directory>: open the inspector on a random loopback port, write
 *   <directory>/inspect-<pid>.json = {pid, url, argv}, and wait until heapy's debugger says "run",
 *   so that sampling starts before the program's first line.
 */
import net = require('node:net');
import v8 = require('node:v8');
import fs = require('node:fs');
import path = require('node:path');
import perfHooks = require('node:perf_hooks');
import workerThreads = require('node:worker_threads');

/** The global key under which the probe offers `mark` (read by heapy's `mark()` in src/monitor/mark.ts). */
const HOOK_KEY = Symbol.for('heapy.probe');

interface ProbeHook {
  mark(label: string): void;
}

function startReporting(socketPath: string): void {
  const intervalMs = Math.max(10, Number(process.env.HEAPY_PROBE_INTERVAL) || 100);
  // Lines written before the connection opens; capped so a program that marks in a tight loop
  // before heapy answers cannot grow without bound (1000 lines is about 10 s of samples at 100 ms).
  let queue: string[] = [];
  let connected = false;
  let stopped = false;
  const send = (obj: object): void => {
    if (stopped) return;
    const line = JSON.stringify(obj) + '\n';
    if (connected) sock.write(line);
    else if (queue.length < 1000) queue.push(line);
  };
  const sample = (): void => {
    const mu = process.memoryUsage();
    const spaces: Record<string, [number, number]> = {};
    // Spaces that are empty on this Node (read-only, shared, code large objects) are left out.
    for (const s of v8.getHeapSpaceStatistics()) if (s.space_size > 0) spaces[s.space_name] = [s.space_size, s.space_used_size];
    send({
      type: 'heap',
      ts: Date.now(),
      heapUsed: mu.heapUsed,
      heapTotal: mu.heapTotal,
      external: mu.external,
      arrayBuffers: mu.arrayBuffers,
      spaces,
    });
  };
  const gcKinds: Record<number, string> = {
    [perfHooks.constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [perfHooks.constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [perfHooks.constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [perfHooks.constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const observer = new perfHooks.PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? -1;
      send({ type: 'gc', ts: perfHooks.performance.timeOrigin + e.startTime, kind: gcKinds[kind] ?? 'other', duration: e.duration });
    }
  });
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    queue = [];
    clearInterval(timer);
    observer.disconnect();
  };
  const sock = net.createConnection(socketPath);
  sock.unref();
  sock.setNoDelay(true);
  sock.on('connect', () => {
    connected = true;
    for (const line of queue) sock.write(line);
    queue = [];
  });
  // heapy closes the connection of processes it does not track; the probe then goes quiet.
  sock.on('error', stop);
  sock.on('close', stop);
  sock.on('data', () => {});
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  try {
    observer.observe({ entryTypes: ['gc'] });
  } catch {
    // No gc entries on this Node: samples still flow.
  }
  const hook: ProbeHook = {
    mark(label: string) {
      // A sample right before the mark puts the mark on the curve.
      sample();
      send({ type: 'mark', ts: Date.now(), label: String(label) });
    },
  };
  Object.defineProperty(globalThis, HOOK_KEY, { value: hook, configurable: true, enumerable: false, writable: true });
  send({ type: 'hello', pid: process.pid, ppid: process.ppid, argv: process.argv, node: process.version, ts: Date.now() });
  sample();
}

function openInspectorAndWait(dir: string): void {
  // npm and npx are Node programs too: let the flag pass to the program they start.
  const script = process.argv[1] ?? '';
  if (/(^|[\\/])(npm|npx)(-cli\.js)?$|[\\/]npm[\\/]bin[\\/]/.test(script)) return;
  // Only the first Node process of the tree is profiled: its children do not inherit the request.
  delete process.env.HEAPY_PROBE_INSPECT;
  const inspector = require('node:inspector') as typeof import('node:inspector');
  if (inspector.url() === undefined) inspector.open(0, '127.0.0.1', false);
  const url = inspector.url();
  if (!url) return;
  const file = path.join(dir, `inspect-${process.pid}.json`);
  // Written to a temporary name then renamed, so heapy never reads half a file.
  fs.writeFileSync(file + '.tmp', JSON.stringify({ pid: process.pid, url, argv: process.argv }));
  fs.renameSync(file + '.tmp', file);
  inspector.waitForDebugger();
}

(function main(): void {
  try {
    if (!workerThreads.isMainThread) return;
    if ((globalThis as Record<symbol, unknown>)[HOOK_KEY] !== undefined) return;
    const inspectDir = process.env.HEAPY_PROBE_INSPECT;
    if (inspectDir) openInspectorAndWait(inspectDir);
    const socketPath = process.env.HEAPY_PROBE_SOCKET;
    if (socketPath) startReporting(socketPath);
  } catch {
    // Never break the program being profiled.
  }
})();
