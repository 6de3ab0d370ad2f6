/**
 * `startManhole`: a REPL server inside a running Node app, the counterpart of Python's aiomanhole.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Console } from 'node:console';
import { lookup } from 'node:dns/promises';
import { chmodSync, existsSync, lstatSync, mkdirSync, rmdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { REPLServer } from 'node:repl';
import type { Context } from 'node:vm';
import { ExitCode, HeapyError } from '../errors.js';
import { createManholeEval, installStackTrimming } from '../util/evaluate.js';
import { manholeSecretName, newSecret, removeSecret, storeSecret } from '../util/secrets.js';
import { ManholeSession, type SessionConfig } from './session.js';

/** Options of {@link startManhole}. At least one of `port` and `path` is needed. */
export interface ManholeOptions {
  /** TCP port to listen on (0 picks a free one; see the handle's `port`). */
  port?: number;
  /** Interface for the TCP port; default 127.0.0.1. Anything not loopback needs `allowRemote` and `token`. */
  host?: string;
  /** Unix socket path. Created mode 0600; its directory is created mode 0700 if missing. */
  path?: string;
  /** Names visible in the REPL (the app's objects). `h` (an hpy() session) is added. */
  namespace?: Record<string, unknown>;
  /** Text shown on connect; default lists the namespace names. */
  banner?: string;
  /** The REPL prompt; default `'> '`. */
  prompt?: string;
  /** One namespace for all connections (true) or a copy for each (false, the default). */
  shared?: boolean;
  /** Longest synchronous run of one command before it is cut off, in ms; default 10000; 0 = none. */
  commandTimeoutMs?: number;
  /**
   * A shared secret every client must send as its first line. A TCP manhole without one gets a
   * generated token (any local user can reach 127.0.0.1), stored 0600 in the user's runtime
   * directory, where `heapy connect PORT` finds it; see the handle's `token` and `tokenFile`.
   * A Unix socket needs none: its 0600 mode is the secret.
   */
  token?: string;
  /**
   * Listen on TCP with no token at all: then ANY local user can run code in the app as its user.
   * Only for single-user machines and tests.
   */
  insecureNoToken?: boolean;
  /** Allow a non-loopback `host` (a token is still required). */
  allowRemote?: boolean;
  /** Most simultaneous connections; default 128. */
  maxConnections?: number;
  /** Receives security events (rejected tokens, dropped clients); default: the app's stderr. */
  onLog?: (message: string) => void;
}

/** An address a manhole listens on. */
export type ManholeAddress =
  | {
      /** A TCP listener. */
      kind: 'tcp';
      /** The bound host (127.0.0.1 unless remote access was allowed). */
      host: string;
      /** The bound port. */
      port: number;
    }
  | {
      /** A Unix socket listener. */
      kind: 'unix';
      /** The socket file (mode 0600). */
      path: string;
    };

/** A running manhole, as returned by {@link startManhole}. */
export interface ManholeHandle {
  /** Every address listened on. */
  readonly addresses: readonly ManholeAddress[];
  /** The bound TCP port, if any. */
  readonly port: number | undefined;
  /** The Unix socket path, if any. */
  readonly path: string | undefined;
  /** The token TCP clients must send (given, or generated), or undefined with `insecureNoToken`. */
  readonly token: string | undefined;
  /** Where a generated token is stored for `heapy connect` (mode 0600), if one was generated. */
  readonly tokenFile: string | undefined;
  /** Number of clients connected now. */
  connectionCount(): number;
  /** Ends every session, stops listening and removes the socket file. */
  close(): Promise<void>;
}

// A time limit that stops a runaway loop without cutting off a heavy but legitimate command
// (a full heap snapshot of a 200 MB heap takes about 8 s here).
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 128;
// A client that has not sent its token within this long is dropped: silent clients must not hold
// the connection slots (128 of them did, for 30 s each).
const AUTH_TIMEOUT_MS = 5_000;
// Wrong tokens: past this many in the last second, new connections are refused for that second
// (2,294 guesses a second were possible, each one logged).
const MAX_WRONG_TOKENS_PER_SECOND = 5;
// Connections still owing their token; past this, the oldest of them is dropped for a new one.
const MAX_PENDING_AUTH = 16;

/** Throttles token guessing and keeps unauthenticated clients from filling the slots. */
class AuthGate {
  private readonly wrong: number[] = [];
  private readonly pending: net.Socket[] = [];
  private lastRefusalLog = 0;
  constructor(private readonly log: (message: string) => void) {}
  /** False (and the socket ended) while too many wrong tokens came in the last second. */
  admit(socket: net.Socket): boolean {
    const now = Date.now();
    while (this.wrong.length > 0 && now - this.wrong[0]! > 1000) this.wrong.shift();
    if (this.wrong.length >= MAX_WRONG_TOKENS_PER_SECOND) {
      if (now - this.lastRefusalLog > 1000) {
        this.lastRefusalLog = now;
        this.log('manhole: too many wrong tokens; refusing connections for a second');
      }
      socket.on('error', () => {});
      socket.end('manhole: too many wrong tokens; try again later\n');
      return false;
    }
    this.pending.push(socket);
    if (this.pending.length > MAX_PENDING_AUTH) this.pending.shift()!.destroy();
    socket.once('close', () => this.settled(socket));
    return true;
  }
  /** The socket sent a token (right or wrong) or went away. */
  settled(socket: net.Socket): void {
    const i = this.pending.indexOf(socket);
    if (i >= 0) this.pending.splice(i, 1);
  }
  /** A wrong token arrived. */
  rejected(): void {
    this.wrong.push(Date.now());
  }
}
// Longest multi-line command the REPL accepts (4 MiB of source is far beyond anything typed).
const MAX_COMMAND_CHARS = 4 << 20;

type HpyFactory = () => unknown;

// hpy lives in the API layer, which pulls in the snapshot engine: load it only when a manhole
// starts, and keep the manhole usable (without `h`) if it cannot be loaded.
async function loadHpy(): Promise<{ hpy: HpyFactory | null; reason: string }> {
  const specifier = '../api/hpy.js';
  try {
    const mod = (await import(specifier)) as { hpy?: HpyFactory };
    if (typeof mod.hpy === 'function') return { hpy: mod.hpy, reason: '' };
    return { hpy: null, reason: 'the API layer exports no hpy()' };
  } catch (err) {
    return { hpy: null, reason: (err as Error).message };
  }
}

/** Marks code run for one client of a shared-namespace manhole (see `current` below). */
class ManholeClient {
  readonly #session: ManholeSession;
  constructor(session: ManholeSession) {
    this.#session = session;
  }
  session(): ManholeSession {
    return this.#session;
  }
}

function isLoopbackIp(address: string): boolean {
  const v = net.isIP(address);
  if (v === 4) return address.startsWith('127.');
  if (v === 6) {
    const a = address.toLowerCase();
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

async function isLoopbackHost(host: string): Promise<boolean> {
  if (host === 'localhost') return true;
  if (net.isIP(host)) return isLoopbackIp(host);
  // A name is loopback only if every address it resolves to is.
  try {
    const addrs = await lookup(host, { all: true });
    return addrs.length > 0 && addrs.every((a) => isLoopbackIp(a.address));
  } catch {
    return false;
  }
}

// Asks whether some process answers on a Unix socket. 1 s is generous for a local connect; a
// socket that neither accepts nor refuses in that time is treated as alive (never replaced).
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = net.connect({ path });
    const done = (alive: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolvePromise(alive);
    };
    const timer = setTimeout(() => done(true), 1000);
    probe.once('connect', () => done(true));
    probe.once('error', (err: NodeJS.ErrnoException) => done(!(err.code === 'ECONNREFUSED' || err.code === 'ENOENT')));
  });
}

/** Readies the socket's directory; returns the directories it created, outermost first. */
async function prepareSocketPath(path: string): Promise<string[]> {
  const dir = dirname(path);
  const created: string[] = [];
  if (!existsSync(dir)) {
    // mkdir -p returns the first directory it made; every one from there down to `dir` is new.
    const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (first !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        created.unshift(d);
        if (d === first || dirname(d) === d) break;
      }
    }
    // mkdir's mode is filtered by the umask; make the owner-only mode exact.
    for (const d of created) chmodSync(d, 0o700);
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return created;
  }
  if (!st.isSocket()) {
    throw new HeapyError(`${path} exists and is not a socket; not replacing it`, ExitCode.addressUnavailable);
  }
  if (await socketAnswers(path)) {
    throw new HeapyError(`${path}: a process is listening on this socket; not replacing it`, ExitCode.addressUnavailable);
  }
  unlinkSync(path);
  return created;
}

/** Removes the socket file and the directories made for it (innermost first, only if empty). */
function removeSocketPath(socketPath: string | undefined, createdDirs: readonly string[]): void {
  if (socketPath !== undefined) {
    try {
      if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
    } catch {
      // already removed (libuv unlinks a pipe's path when it closes)
    }
  }
  for (const d of [...createdDirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // not empty: something else was put there; leave it and what holds it
      break;
    }
  }
}

function listen(server: net.Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
      reject(new HeapyError(`cannot listen on ${where}: ${err.code ?? err.message}`, ExitCode.addressUnavailable, { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if ('path' in target) {
      // Create the socket file without group/other bits from the start, so there is no moment
      // when it is open to others; the chmod after listening makes 0600 exact.
      let previous: number | null = null;
      try {
        previous = process.umask(0o177);
      } catch {
        previous = null; // umask cannot be changed in worker threads; the chmod still applies
      }
      try {
        server.listen(target.path);
      } finally {
        if (previous !== null) process.umask(previous);
      }
    } else {
      server.listen(target.port, target.host);
    }
  });
}

function defaultBanner(names: string[], hpyReason: string): string {
  const script = process.argv[1] ? basename(process.argv[1]) : 'node';
  const lines = [`heapy manhole: ${script}, pid ${process.pid}, node ${process.version}`, 'Namespace:'];
  for (const name of names) lines.push(`\t${name}`);
  lines.push(hpyReason === '' ? '\th = hpy()   try: await h.heap()' : `\t(h unavailable: ${hpyReason})`);
  return `${lines.join('\n')}\n\n`;
}

function defineValue(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: true });
}

// `h` is made on first use, so a connection that never touches it costs nothing.
function defineLazyH(target: object, hpy: HpyFactory | null, reason: string): void {
  let session: unknown;
  Object.defineProperty(target, 'h', {
    configurable: true,
    enumerable: true,
    get() {
      if (!hpy) throw new Error(`hpy() is not available in this manhole: ${reason}`);
      session ??= hpy();
      return session;
    },
    set(value: unknown) {
      defineValue(target, 'h', value);
    },
  });
}

/**
 * Starts a manhole: a REPL server inside this process, reachable over TCP on loopback and/or a
 * Unix socket, in which the given namespace and `h = hpy()` are ready.
 *
 * Starting one loads node:repl, which loads node:domain: from then on the process cannot use
 * `process.setUncaughtExceptionCaptureCallback`, and errors thrown asynchronously by code a client
 * typed (timers, unhandled rejections) are reported to that client instead of crashing the app.
 *
 * @example
 * const manhole = await startManhole({ port: 9999, namespace: { app, cache } });
 * // $ rlwrap nc localhost 9999   or   $ heapy connect 9999
 */
export async function startManhole(options: ManholeOptions): Promise<ManholeHandle> {
  const { port, path } = options;
  if (port === undefined && path === undefined) {
    throw new HeapyError('startManhole needs a port or a path', ExitCode.usage);
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new HeapyError(`bad manhole port ${String(port)}`, ExitCode.usage);
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '' || /[\r\n]/.test(options.token))) {
    throw new HeapyError('a manhole token must be a non-empty string on one line', ExitCode.usage);
  }
  if (options.commandTimeoutMs !== undefined && !(Number.isFinite(options.commandTimeoutMs) && options.commandTimeoutMs >= 0)) {
    throw new HeapyError(`bad commandTimeoutMs ${String(options.commandTimeoutMs)}`, ExitCode.usage);
  }
  const host = options.host ?? '127.0.0.1';
  if (port !== undefined && !(await isLoopbackHost(host))) {
    if (!options.allowRemote || options.token === undefined) {
      throw new HeapyError(
        `refusing to listen on ${host}: the manhole runs any code it is sent; a non-loopback host needs allowRemote: true and a token`,
        ExitCode.unsafeListen,
      );
    }
  }
  const log = options.onLog ?? ((message: string) => process.stderr.write(`${message}\n`));
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const namespace = options.namespace ?? {};
  const names = Object.keys(namespace);
  // node:repl loads node:domain, which changes process-wide behaviour (it forbids
  // process.setUncaughtExceptionCaptureCallback): load it only when a manhole starts.
  const replModule = await import('node:repl');
  const { hpy, reason: hpyReason } = await loadHpy();
  const banner = options.banner ?? defaultBanner(names, hpyReason);

  const sessions = new Set<ManholeSession>();
  // The store is a tag with a private link to the session: ALS leaves its store on every timer
  // and promise made under it, where util.inspect shows it, so it should print as little as this.
  const current = new AsyncLocalStorage<ManholeClient>();
  let lastActive: ManholeSession | null = null;
  let sharedContext: Context | null = null;

  const fillNamespace = (ctx: Context) => {
    installStackTrimming(ctx);
    for (const name of names) defineValue(ctx, name, namespace[name]);
    if (hpy) defineValue(ctx, 'hpy', hpy);
    defineLazyH(ctx, hpy, hpyReason);
  };

  // In a shared namespace every client runs in one context, so `console` and `_` follow the
  // client whose code is running (AsyncLocalStorage carries that across awaits and timers).
  const makeShared = (template: Context): Context => {
    const route = new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _enc, cb) {
        const s = current.getStore()?.session() ?? lastActive;
        s?.output.write(chunk);
        cb();
      },
    });
    defineValue(template, 'console', new Console({ stdout: route, stderr: route }));
    const replOf = () => (current.getStore()?.session() ?? lastActive)?.repl as (REPLServer & { last?: unknown; lastError?: unknown }) | null | undefined;
    Object.defineProperty(template, '_', {
      configurable: true,
      get: () => replOf()?.last,
      set: (v: unknown) => defineValue(template, '_', v),
    });
    Object.defineProperty(template, '_error', {
      configurable: true,
      get: () => replOf()?.lastError,
      set: (v: unknown) => defineValue(template, '_error', v),
    });
    fillNamespace(template);
    return template;
  };

  const prepareContext = (repl: REPLServer) => {
    const attach = () => {
      if (options.shared) {
        sharedContext ??= makeShared(repl.context);
        (repl as { context: Context }).context = sharedContext;
      } else {
        fillNamespace(repl.context);
      }
    };
    attach();
    // `.clear` gives the REPL a fresh context: put the namespace (or the shared one) back.
    repl.on('reset', attach);
  };

  // TCP gets a token unless one was given or the app insists on none; the Unix socket needs one
  // only if the app gave one.
  const tcpToken = options.token ?? (port !== undefined && !options.insecureNoToken ? newSecret() : undefined);
  const digestOf = (t: string | undefined) => (t === undefined ? null : createHash('sha256').update(t, 'utf8').digest());
  const authGate = new AuthGate(log);
  const config: SessionConfig = {
    replModule,
    tokenDigest: digestOf(options.token),
    authGate,
    banner,
    prompt: options.prompt ?? '> ',
    createEval: (session) => {
      const tag = new ManholeClient(session);
      return createManholeEval({
        timeoutMs,
        maxInputChars: MAX_COMMAND_CHARS,
        Recoverable: replModule.Recoverable,
        // Only a shared namespace needs to know which client is running code.
        runWith: options.shared
          ? <T>(fn: () => T): T => {
              lastActive = session;
              return current.run(tag, fn);
            }
          : undefined,
      });
    },
    prepareContext,
    log,
    authTimeoutMs: AUTH_TIMEOUT_MS,
  };

  const servers: net.Server[] = [];
  let secretName: string | undefined;
  let tokenFile: string | undefined;
  const addresses: ManholeAddress[] = [];
  let createdDirs: string[] = [];
  let socketPath: string | undefined;
  // Set once our listener owns the socket file: before that the path may be another process's.
  let ownSocket = false;
  const makeServer = (listenerConfig: SessionConfig) => {
    // allowHalfOpen: `printf 'cmd\n' | nc -N` closes its sending side at once; the answer must
    // still be written back.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      if (listenerConfig.tokenDigest && !authGate.admit(socket)) return;
      const session = new ManholeSession(socket, listenerConfig, (s) => {
        sessions.delete(s);
        if (lastActive === s) lastActive = null;
      });
      sessions.add(session);
    });
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    servers.push(server);
    return server;
  };

  try {
    if (path !== undefined) {
      socketPath = resolve(path);
      createdDirs = await prepareSocketPath(socketPath);
      const server = makeServer(config);
      await listen(server, { path: socketPath });
      ownSocket = true;
      chmodSync(socketPath, 0o600);
      addresses.push({ kind: 'unix', path: socketPath });
    }
    if (port !== undefined) {
      const server = makeServer({ ...config, tokenDigest: digestOf(tcpToken) });
      await listen(server, { port, host });
      const addr = server.address() as net.AddressInfo;
      addresses.push({ kind: 'tcp', host: addr.address, port: addr.port });
      if (tcpToken !== undefined && options.token === undefined) {
        secretName = manholeSecretName(addr.address, addr.port);
        tokenFile = storeSecret(secretName, tcpToken);
        log(`manhole: ${addr.address}:${addr.port} asks for a token; \`heapy connect ${addr.port}\` reads it from ${tokenFile}`);
      } else if (tcpToken === undefined) {
        log(`manhole: ${addr.address}:${addr.port} has NO token (insecureNoToken): any local user can run code in this process`);
      }
    }
  } catch (err) {
    for (const s of servers) s.close();
    if (secretName !== undefined) removeSecret(secretName);
    removeSocketPath(ownSocket ? socketPath : undefined, createdDirs);
    throw err;
  }
  // The manhole must never keep the app alive on its own.
  for (const s of servers) s.unref();
  // An app that exits without close() still leaves no socket file, directory or token behind.
  const onExit = (): void => {
    removeSocketPath(ownSocket ? socketPath : undefined, createdDirs);
    if (secretName !== undefined) removeSecret(secretName);
  };
  process.once('exit', onExit);

  let closing: Promise<void> | null = null;
  const tcp = addresses.find((a) => a.kind === 'tcp');
  return {
    addresses,
    port: tcp?.kind === 'tcp' ? tcp.port : undefined,
    path: socketPath,
    token: tcpToken,
    tokenFile,
    connectionCount: () => sessions.size,
    close() {
      closing ??= (async () => {
        const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
        for (const s of sessions) {
          closed.push(s.closedPromise);
          s.close('manhole: closed by the app');
        }
        await Promise.all(closed);
        process.off('exit', onExit);
        onExit();
      })();
      return closing;
    },
  };
}
