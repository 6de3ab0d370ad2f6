/**
 * Opening the inspector of a running, unmodified Node process: checks on the pid, SIGUSR1, finding
 * the port, the WebSocket URL from /json/list, closing the inspector again when heapy opened it,
 * a target-side guard that closes it if heapy dies, and worker threads through the NodeWorker domain.
 */
import { request } from 'node:http';
import { ExitCode, HeapyError } from '../errors.js';
import { CdpClient, WorkerSession, type CdpSession } from './cdp.js';
import { formatDuration } from '../util/format.js';
import {
  catchesSignal,
  commandText,
  inspectAddress,
  isNodeProcess,
  listeningSockets,
  listeningSocketsOf,
  nodeOptionsOf,
  readProc,
  socketOwner,
  type ListeningSocket,
  type ProcInfo,
} from './proc.js';

/** One debuggable target as `/json/list` describes it. */
export interface InspectorTarget {
  readonly id: string;
  readonly title: string;
  readonly url: string;
  readonly webSocketDebuggerUrl: string;
}

/** An inspector heapy can connect to, and how to undo opening it. */
export interface InspectorHandle {
  /** The target's pid, or null when attached by host:port or WebSocket URL. */
  readonly pid: number | null;
  readonly host: string;
  readonly port: number;
  /** The WebSocket URL of the main thread's target. */
  readonly wsUrl: string;
  /** True when the inspector was closed before and heapy opened it (then heapy must close it). */
  readonly openedByUs: boolean;
  /**
   * Arms a guard in the target that closes the inspector within ~1 s of `client`'s connection
   * ending, whoever else is connected, so a SIGKILLed heapy leaves no open port. No-op unless
   * openedByUs; throws connectionLost (after closing the inspector) when it cannot be armed.
   */
  guard(client: CdpClient): Promise<void>;
  /**
   * Closes the inspector again iff heapy opened it, through `session` when it is still connected
   * (else through a fresh connection), then waits until the port is really closed.
   * Resolves to true when the port is closed (or was never heapy's to close).
   */
  close(session?: CdpSession): Promise<boolean>;
}

/** Options for {@link openInspector}. */
export interface OpenOptions {
  /** Expected inspector port; default: the target's --inspect-port, or 9229. */
  readonly port?: number;
  /** Milliseconds to wait for the port to open after SIGUSR1, and for /json/list (default 5 s). */
  readonly timeoutMs?: number;
}

// SIGUSR1 opens the port in ~10 ms on an idle target (measured here: 7-8 ms); 5 s covers a loaded
// machine and a target deep in a long GC.
const DEFAULT_TIMEOUT_MS = 5_000;
const POLL_MS = 10;
const SIGUSR1 = 10; // on Linux

/** Checks the pid and returns what /proc says about it; throws noSuchProcess / permissionDenied / notNode. */
export function checkTargetPid(pid: number): ProcInfo {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new HeapyError(`${pid}: not a process id`, ExitCode.usage);
  const info = readProc(pid);
  if (!info) throw new HeapyError(`no process with pid ${pid}`, ExitCode.noSuchProcess);
  const myUid = process.getuid?.() ?? -1;
  // root may signal and attach to anything; anyone else only to their own processes, as kill(2) says.
  if (myUid !== 0 && info.uid !== myUid) {
    throw new HeapyError(`pid ${pid} belongs to uid ${info.uid}, not to you (uid ${myUid}); run heapy as that user`, ExitCode.permissionDenied);
  }
  if (!isNodeProcess(info)) {
    throw new HeapyError(`pid ${pid} is not a Node.js process (${info.exe ?? info.cmdline[0] ?? 'unknown executable'})`, ExitCode.notNode);
  }
  return info;
}

/** True when the address a socket is bound to would conflict with binding `host`. */
function sameBind(a: string, host: string): boolean {
  const wild = (x: string): boolean => x === '0.0.0.0' || x === '::';
  return a === host || wild(a) || wild(host) || (host === 'localhost' && (a === '127.0.0.1' || a === '::1'));
}

function connectHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

/** Opens (if needed) the inspector of a local Node process and finds its WebSocket URL. */
export async function openInspector(pid: number, options: OpenOptions = {}): Promise<InspectorHandle> {
  const info = checkTargetPid(pid);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const expected = inspectAddress(info.cmdline, nodeOptionsOf(pid));
  const wantPort = options.port ?? expected.port;
  const before = listeningSocketsOf(pid);

  // Already open? The expected port first; with --inspect-port=0 any port of the target might be it.
  const candidates = before.filter((s) => s.port === wantPort).concat(wantPort === 0 ? before : []);
  for (const s of candidates) {
    let found: InspectorTarget | null = null;
    try {
      found = await probe(connectHost(s.address), s.port, timeoutMs, pid, info);
    } catch (err) {
      // The target's own server on that port may drop a GET /json/list (ECONNRESET): not an inspector.
      if (!(err instanceof HeapyError && err.exitCode === ExitCode.connectionLost)) throw err;
    }
    if (found) return makeHandle(pid, connectHost(s.address), s.port, found.webSocketDebuggerUrl, false);
  }

  if (info.state === 'T' || info.state === 't') {
    // A stopped process would open its inspector whenever it is resumed, after heapy gave up and
    // could no longer close it: refuse before signalling rather than leave an open port behind.
    throw new HeapyError(`pid ${pid} is stopped (state ${info.state}) and cannot answer; resume it with 'kill -CONT ${pid}' first`, ExitCode.targetTimeout);
  }
  if (wantPort !== 0) checkPortFree(pid, expected.host, wantPort);

  // SIGUSR1 kills a process that has no handler for it: a Node process still starting up (seen
  // here when signalling 0.3 s after spawn on a loaded machine), or a Node built without the
  // inspector. Wait for the handler, and never signal without one.
  const waitUntil = Date.now() + timeoutMs;
  while (!catchesSignal(pid, SIGUSR1)) {
    if (readProc(pid) === null) throw new HeapyError(`no process with pid ${pid}`, ExitCode.noSuchProcess);
    if (Date.now() > waitUntil) {
      throw new HeapyError(
        `pid ${pid} has no SIGUSR1 handler after ${formatDuration(timeoutMs)} (a Node without inspector support, or still starting); not signalling it, since that would terminate it`,
        ExitCode.targetTimeout,
      );
    }
    await sleep(POLL_MS);
  }
  const known = new Set(before.map((s) => s.inode));
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new HeapyError(`no process with pid ${pid}`, ExitCode.noSuchProcess);
    if (code === 'EPERM') throw new HeapyError(`not allowed to signal pid ${pid}`, ExitCode.permissionDenied);
    throw err;
  }

  const deadline = Date.now() + timeoutMs;
  let opened: ListeningSocket | undefined;
  while (!opened) {
    if (readProc(pid) === null) throw new HeapyError(`pid ${pid} exited after SIGUSR1`, ExitCode.connectionLost);
    const now = listeningSocketsOf(pid).filter((s) => !known.has(s.inode));
    opened = now.find((s) => s.port === wantPort) ?? (wantPort === 0 ? now[0] : undefined);
    if (opened) break;
    if (Date.now() > deadline) {
      // Someone may have taken the port in the meantime; otherwise the target just did not react.
      if (wantPort !== 0) checkPortFree(pid, expected.host, wantPort);
      const state = readProc(pid)?.state ?? '?';
      throw new HeapyError(
        `pid ${pid} did not open its inspector on port ${wantPort || '(any)'} within ${formatDuration(timeoutMs)} after SIGUSR1 (state ${state}; started with --inspect-port elsewhere? pass --port N)`,
        ExitCode.targetTimeout,
      );
    }
    await sleep(POLL_MS);
  }
  const host = connectHost(opened.address);
  let target: InspectorTarget | null;
  try {
    target = await probe(host, opened.port, timeoutMs, pid, info);
  } catch (err) {
    await closeOpenedPort(pid, host, opened.port).catch(() => {});
    throw err;
  }
  if (!target) {
    throw new HeapyError(`pid ${pid} opened port ${opened.port} after SIGUSR1, but it does not speak the inspector protocol`, ExitCode.wsRefused);
  }
  return makeHandle(pid, host, opened.port, target.webSocketDebuggerUrl, true);
}

/**
 * Throws portTaken when a process already listens where the target's inspector would bind: another
 * one, or the target itself with a server of its own (an inspector there was probed before), in
 * which case SIGUSR1 would only make it log "address already in use".
 */
function checkPortFree(pid: number, host: string, port: number): void {
  const own = listeningSocketsOf(pid).find((s) => s.port === port && sameBind(s.address, host));
  if (own) {
    const info = readProc(pid);
    throw new HeapyError(
      `pid ${pid}${info ? ` (${truncate(commandText(info), 60)})` : ''} itself listens on ${own.address}:${port} with a server of its own, where its inspector would open; ` +
        `restart it with --inspect-port=N (0 = any free port), and if its inspector already listens elsewhere, pass --port N`,
      ExitCode.portTaken,
    );
  }
  const mine = new Set(listeningSocketsOf(pid).map((s) => s.inode));
  const clash = listeningSockets(pid).find((s) => s.port === port && !mine.has(s.inode) && sameBind(s.address, host));
  if (!clash) return;
  const owner = socketOwner(clash.inode);
  const ownerInfo = owner === null ? null : readProc(owner);
  const who = ownerInfo ? `pid ${owner} (${truncate(commandText(ownerInfo), 60)})` : 'a process not visible to you';
  throw new HeapyError(
    `pid ${pid} would open its inspector on ${host}:${port}, but ${who} already listens there; ` +
      `free that port, or restart the target with --inspect-port=N (0 = any free port); if that process is the inspector you want, use 'heapy attach ${connectHost(clash.address)}:${port}'`,
    ExitCode.portTaken,
  );
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/**
 * GETs /json/list from host:port. Resolves to the first target, or null when the port answers
 * but is not an inspector; throws targetTimeout when nothing answers in time.
 */
async function probe(host: string, port: number, timeoutMs: number, pid: number | null, info?: ProcInfo): Promise<InspectorTarget | null> {
  let body: string;
  try {
    body = await httpGet(host, port, '/json/list', timeoutMs);
  } catch (err) {
    if (err instanceof HeapyError && err.exitCode === ExitCode.targetTimeout && pid !== null) {
      const state = readProc(pid)?.state ?? info?.state ?? '?';
      throw new HeapyError(
        `pid ${pid}'s inspector on port ${port} accepted the connection but did not answer within ${formatDuration(timeoutMs)}${state === 'T' ? ` (the process is stopped; 'kill -CONT ${pid}')` : ''}`,
        ExitCode.targetTimeout,
      );
    }
    if (err instanceof HeapyError && pid !== null && err.exitCode === ExitCode.wsRefused) return null;
    throw err;
  }
  return firstTarget(body);
}

function firstTarget(body: string): InspectorTarget | null {
  let list: unknown;
  try {
    list = JSON.parse(body);
  } catch {
    return null;
  }
  if (!Array.isArray(list)) return null;
  for (const t of list as Array<Record<string, unknown>>) {
    if (t && typeof t.webSocketDebuggerUrl === 'string') {
      return { id: String(t.id ?? ''), title: String(t.title ?? ''), url: String(t.url ?? ''), webSocketDebuggerUrl: t.webSocketDebuggerUrl };
    }
  }
  return null;
}

/** A GET on the inspector's HTTP side; rejects with wsRefused (refused, not HTTP 200) or targetTimeout. */
export function httpGet(host: string, port: number, path: string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    // The inspector answers 400 unless Host is an IP address or "localhost" (its DNS-rebinding guard).
    const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const req = request({ host, port, path, method: 'GET', headers: { Host: hostHeader }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        clearTimeout(timer);
        if (res.statusCode !== 200) reject(new HeapyError(`${hostHeader}${path}: HTTP ${res.statusCode}`, ExitCode.wsRefused));
        else resolve(Buffer.concat(parts).toString('utf8'));
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(new HeapyError(`${hostHeader}${path}: ${err.message}`, ExitCode.connectionLost));
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new HeapyError(`${hostHeader}: no answer within ${formatDuration(timeoutMs)}`, ExitCode.targetTimeout));
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') reject(new HeapyError(`${hostHeader}: connection refused (no inspector listening there)`, ExitCode.wsRefused));
      else reject(new HeapyError(`${hostHeader}: ${err.code ?? err.message}`, ExitCode.connectionLost));
    });
    req.end();
  });
}

/** Resolves an inspector given as host:port (asks /json/list) or as a ws:// URL; never opened by heapy. */
export async function inspectorAt(address: string, options: { timeoutMs?: number } = {}): Promise<InspectorHandle> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (/^wss?:\/\//.test(address)) {
    const u = new URL(address);
    return makeHandle(null, u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || 80), address, false);
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new HeapyError(`${address}: expected a pid, host:port or ws:// URL`, ExitCode.usage);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const port = Number(m[3]);
  const body = await httpGet(host, port, '/json/list', timeoutMs);
  const target = firstTarget(body);
  if (!target) throw new HeapyError(`${address}: answers HTTP but lists no inspector target`, ExitCode.wsRefused);
  return makeHandle(null, host, port, target.webSocketDebuggerUrl, false);
}

// Evaluated in the target to close its inspector. `require` exists in Runtime.evaluate only with
// includeCommandLineAPI; process.getBuiltinModule exists from Node 20.16 / 22.3.
const CLOSE_EXPRESSION = "(process.getBuiltinModule?.('inspector') ?? require('inspector')).close()";

/**
 * The guard evaluated in the target when heapy opened the inspector. It watches heapy's OWN
 * connection, not "any client": another local user's idle TCP connection to the port must not keep
 * it open once heapy is gone (seen: > 41 s after kill -9, then that user attached as root). On
 * arming it finds, in /proc/self/net/tcp{,6}, the ESTABLISHED socket whose local port is the
 * inspector's and whose peer port is heapy's (`peerPort`), and remembers its inode: a later
 * connection, even from the same port, is a new socket with another inode. Every 500 ms it looks
 * for that inode in state ESTABLISHED; after two checks in a row without it (heapy closed or was
 * killed: the kernel ends the connection at once) it closes the inspector and stops, so the port
 * closes within ~1 s. The kernel's table, unlike a heartbeat, goes on showing the connection while
 * heapy is busy for seconds (building a dominator tree) or the target is (writing a snapshot).
 * It throws when the connection cannot be found, and evaluates to `{ stop() }`, which heapy calls
 * on a normal detach to clear the timer and close. Cost: one read of a few KB per 500 ms, an
 * unref'd timer.
 */
function guardExpression(port: number, peerPort: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(() => {
  const fs = process.getBuiltinModule?.('fs') ?? require('fs');
  const inspector = process.getBuiltinModule?.('inspector') ?? require('inspector');
  const rows = () => {
    const out = [];
    for (const f of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
      let text = '';
      try { text = fs.readFileSync(f, 'latin1'); } catch { continue; }
      for (const line of text.split('\\n')) out.push(line.trim().split(/\\s+/));
    }
    return out;
  };
  const mine = rows().find((c) => c[3] === '01' && c[1]?.endsWith(':${hex(port)}') && c[2]?.endsWith(':${hex(peerPort)}'));
  const inode = mine?.[9];
  if (!inode || inode === '0') throw new Error('heapy guard: cannot find heapy\\'s connection to port ${port} in /proc/self/net/tcp');
  const alive = () => rows().some((c) => c[9] === inode && c[3] === '01');
  let missed = 0;
  const timer = setInterval(() => {
    try {
      if (alive()) { missed = 0; return; }
      if (++missed >= 2) { clearInterval(timer); inspector.close(); }
    } catch {
      // never throw into the application
    }
  }, 500);
  timer.unref();
  return { stop() { clearInterval(timer); inspector.close(); } };
})()`;
}

function makeHandle(pid: number | null, host: string, port: number, wsUrl: string, openedByUs: boolean): InspectorHandle {
  let guardTimer: string | undefined;
  let closedAlready = false;
  return {
    pid,
    host,
    port,
    wsUrl,
    openedByUs,
    async guard(client: CdpClient): Promise<void> {
      if (!openedByUs || guardTimer !== undefined) return;
      const fail = async (why: string): Promise<never> => {
        await this.close(client).catch(() => false);
        throw new HeapyError(`cannot arm the guard that closes pid ${pid ?? '?'}'s inspector if heapy dies (${why}); closed it again`, ExitCode.connectionLost);
      };
      if (client.localPort === null) return fail('the local port of heapy\'s connection is unknown');
      const r = await client.send<{ result: { objectId?: string }; exceptionDetails?: { exception?: { description?: string } } }>('Runtime.evaluate', {
        expression: guardExpression(port, client.localPort),
        includeCommandLineAPI: true,
        objectGroup: 'heapy-guard',
        silent: true,
      });
      if (r.exceptionDetails || r.result.objectId === undefined) return fail(r.exceptionDetails?.exception?.description?.split('\n')[0] ?? 'no guard object');
      guardTimer = r.result.objectId;
    },
    async close(session?: CdpSession): Promise<boolean> {
      if (!openedByUs) return true;
      if (closedAlready) return !portStillOpen(pid, port);
      closedAlready = true;
      let own = false;
      let s = session && !session.closed ? session : undefined;
      if (!s) {
        try {
          s = await CdpClient.connect(wsUrl, { timeoutMs: 3000, connectTimeoutMs: 3000 });
          own = true;
        } catch {
          // The guard (if armed) closes the port by itself once no client is connected.
          return waitPortClosed(pid, port, 3000);
        }
      }
      // inspector.close() tears down the session it is called from: the answer usually never comes
      // and the socket closes instead. Either outcome is success; the port check below decides.
      if (guardTimer !== undefined) {
        await s.send('Runtime.callFunctionOn', { objectId: guardTimer, functionDeclaration: 'function () { this.stop(); }', silent: true }, { timeoutMs: 2000 }).catch(() => {});
      } else {
        await s.send('Runtime.evaluate', { expression: CLOSE_EXPRESSION, includeCommandLineAPI: true, silent: true }, { timeoutMs: 2000 }).catch(() => {});
      }
      if (own) await s.close();
      return waitPortClosed(pid, port, 3000);
    },
  };
}

function portStillOpen(pid: number | null, port: number): boolean {
  const socks = pid === null ? listeningSockets() : listeningSocketsOf(pid);
  return socks.some((s) => s.port === port);
}

async function waitPortClosed(pid: number | null, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pid !== null && readProc(pid) === null) return true;
    if (!portStillOpen(pid, port)) return true;
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
}

/** Used when /json/list failed after heapy opened the port: close it via a raw connection if possible. */
async function closeOpenedPort(pid: number, host: string, port: number): Promise<void> {
  const body = await httpGet(host, port, '/json/list', 1000);
  const t = firstTarget(body);
  if (t) await makeHandle(pid, host, port, t.webSocketDebuggerUrl, true).close();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A worker thread of the target, as the NodeWorker domain reports it. */
export interface WorkerInfo {
  /** Node's thread id, as a string ("1", "2", ...). */
  readonly workerId: string;
  readonly title: string;
  readonly url: string;
  /** The parent session's id for talking to this worker. */
  readonly sessionId: string;
}

/**
 * Lists the target's worker threads (NodeWorker.enable reports each as attachedToWorker).
 * Workers stay attached until {@link releaseWorkers} or the session ends.
 */
export async function listWorkers(session: CdpSession): Promise<WorkerInfo[]> {
  const workers: WorkerInfo[] = [];
  const off = session.on('NodeWorker.attachedToWorker', (p) => {
    const w = p.workerInfo as Record<string, unknown> | undefined;
    if (!w || typeof p.sessionId !== 'string') return;
    workers.push({ workerId: String(w.workerId), title: String(w.title ?? ''), url: String(w.url ?? ''), sessionId: p.sessionId });
  });
  try {
    await session.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
    // The attach events follow the enable answer on the same socket; one short wait collects them.
    await sleep(50);
  } finally {
    off();
  }
  return workers;
}

/** Detaches from every worker attached by {@link listWorkers} (they keep running). */
export async function releaseWorkers(session: CdpSession): Promise<void> {
  if (session.closed) return;
  await session.send('NodeWorker.disable').catch(() => {});
}

/** Opens a CDP session with one worker found by {@link listWorkers}. */
export function workerSession(session: CdpSession, worker: WorkerInfo): CdpSession {
  return new WorkerSession(session, worker.sessionId, `${session.label} worker ${worker.workerId}`);
}
