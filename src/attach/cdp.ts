/**
 * A small typed client for the Chrome DevTools Protocol (CDP) as Node's inspector speaks it over
 * a WebSocket: request/response with per-call timeouts, event subscription, and sessions tunnelled
 * to worker threads through the `NodeWorker` domain. Failures a user can cause become HeapyErrors
 * (wsRefused, connectionLost, targetTimeout); protocol-level errors become {@link CdpProtocolError}.
 */
import WebSocket from 'ws';
import { ExitCode, HeapyError } from '../errors.js';
import { formatDuration } from '../util/format.js';

/** Handler for one CDP event's params. */
export type CdpEventHandler = (params: Record<string, unknown>) => void;

/** Options for one request. */
export interface SendOptions {
  /** Milliseconds to wait for the answer; 0 waits forever. Default: the client's `timeoutMs`. */
  readonly timeoutMs?: number;
}

/** What the rest of heapy needs from a CDP endpoint: the main target, or a worker reached through it. */
export interface CdpSession {
  /** Human-readable name of the endpoint, used in error messages. */
  readonly label: string;
  /** True once the connection is gone; every later `send` rejects with connectionLost. */
  readonly closed: boolean;
  /** Sends a command and resolves to its `result`. */
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>, options?: SendOptions): Promise<T>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on(method: string, handler: CdpEventHandler): () => void;
  /** Calls `handler` once when the connection ends (at once if it already has). */
  onClose(handler: (reason: string) => void): () => void;
  /** Stops reading from the socket, so that a slow consumer (a disk) pushes back on the target. */
  pause(): void;
  /** Undoes {@link CdpSession.pause}. */
  resume(): void;
  /** Ends the session. */
  close(): Promise<void>;
}

/** A CDP command answered with an error object (unknown method, bad params, ...). */
export class CdpProtocolError extends Error {
  /** The protocol's error code, e.g. -32601 for an unknown method. */
  readonly code: number;
  constructor(method: string, code: number, message: string) {
    super(`${method}: ${message} (CDP error ${code})`);
    this.name = 'CdpProtocolError';
    this.code = code;
  }
}

/** Options for {@link CdpClient.connect}. */
export interface ConnectOptions {
  /** Default per-request timeout in ms (10 s: a stopped target must not hang heapy). */
  readonly timeoutMs?: number;
  /** Milliseconds allowed for the TCP + WebSocket handshake (default 5 s). */
  readonly connectTimeoutMs?: number;
}

// Any single command other than a snapshot answers in milliseconds on a live target; 10 s only
// trips on a stopped or wedged one.
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

interface Pending {
  readonly method: string;
  readonly resolve: (v: Record<string, unknown>) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: string };
  sessionId?: string;
}

/**
 * Shared bookkeeping for a message-based CDP endpoint: ids, pending requests, events, close.
 * Subclasses provide `transmit` (send one JSON text) and feed incoming messages to `dispatch`.
 */
abstract class MessageSession implements CdpSession {
  abstract readonly label: string;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<CdpEventHandler>>();
  private readonly closeHandlers = new Set<(reason: string) => void>();
  private closeReason: string | undefined;
  protected readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  protected abstract transmit(text: string): void;
  abstract pause(): void;
  abstract resume(): void;
  abstract close(): Promise<void>;

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, options: SendOptions = {}): Promise<T> {
    if (this.closeReason !== undefined) {
      return Promise.reject(new HeapyError(`${this.label}: connection lost (${this.closeReason}) before ${method}`, ExitCode.connectionLost));
    }
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new HeapyError(`${this.label}: no answer to ${method} within ${formatDuration(timeoutMs)} (is the target stopped or stuck?)`, ExitCode.targetTimeout));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { method, resolve: resolve as (v: Record<string, unknown>) => void, reject, timer });
      try {
        this.transmit(JSON.stringify({ id, method, params }));
      } catch (err) {
        if (timer) clearTimeout(timer);
        this.pending.delete(id);
        reject(new HeapyError(`${this.label}: connection lost while sending ${method} (${(err as Error).message})`, ExitCode.connectionLost));
      }
    });
  }

  on(method: string, handler: CdpEventHandler): () => void {
    let set = this.handlers.get(method);
    if (!set) this.handlers.set(method, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  onClose(handler: (reason: string) => void): () => void {
    if (this.closeReason !== undefined) {
      handler(this.closeReason);
      return () => {};
    }
    this.closeHandlers.add(handler);
    return () => {
      this.closeHandlers.delete(handler);
    };
  }

  /** Routes one parsed incoming message to its pending request or event handlers. */
  protected dispatch(msg: Message): void {
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return; // answer to a request that already timed out
      this.pending.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (msg.error) p.reject(new CdpProtocolError(p.method, msg.error.code, msg.error.message + (msg.error.data ? `: ${msg.error.data}` : '')));
      else p.resolve(msg.result ?? {});
      return;
    }
    if (typeof msg.method === 'string') {
      const set = this.handlers.get(msg.method);
      if (!set) return;
      for (const h of [...set]) h(msg.params ?? {});
    }
  }

  /** Marks the session closed: rejects everything pending with connectionLost, tells close handlers. */
  protected markClosed(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new HeapyError(`${this.label}: connection lost during ${p.method} (${reason})`, ExitCode.connectionLost));
    }
    this.pending.clear();
    for (const h of [...this.closeHandlers]) h(reason);
    this.closeHandlers.clear();
  }
}

const CHUNK_METHOD = 'HeapProfiler.addHeapSnapshotChunk';
// How V8's inspector frames a chunk (checked against Node 20's): these bytes, the JSON-escaped
// text, then `"}}`.
const CHUNK_PREFIX = Buffer.from(`{"method":"${CHUNK_METHOD}","params":{"chunk":"`, 'latin1');
const CHUNK_SUFFIX = Buffer.from('"}}', 'latin1');
const UNESCAPED: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

/**
 * The text of a HeapProfiler.addHeapSnapshotChunk message as bytes, or undefined for any other
 * message, or one this does not handle (a non-ASCII byte or escape: the general path takes it).
 * A snapshot is ASCII (V8 escapes everything else in it), so one byte per character is exact.
 */
export function snapshotChunk(frame: Buffer): Buffer | undefined {
  const n = frame.length;
  if (n < CHUNK_PREFIX.length + CHUNK_SUFFIX.length || frame.compare(CHUNK_PREFIX, 0, CHUNK_PREFIX.length, 0, CHUNK_PREFIX.length) !== 0) return undefined;
  const end = n - CHUNK_SUFFIX.length;
  if (frame.compare(CHUNK_SUFFIX, 0, CHUNK_SUFFIX.length, end, n) !== 0) return undefined;
  // Into a buffer of its own (the text only shrinks): the frame stays whole for the general path.
  const out = Buffer.allocUnsafe(end - CHUNK_PREFIX.length);
  let w = 0;
  for (let r = CHUNK_PREFIX.length; r < end; r++) {
    let c = frame[r]!;
    if (c >= 0x80 || c === 0x22) return undefined;
    if (c === 0x5c) {
      const e = frame[++r]!;
      if (e === 0x75) {
        c = parseInt(frame.toString('latin1', r + 1, r + 5), 16);
        if (!(c < 0x80)) return undefined;
        r += 4;
      } else {
        const u = UNESCAPED[e];
        if (u === undefined) return undefined;
        c = u;
      }
    }
    out[w++] = c;
  }
  return out.subarray(0, w);
}

/** A CDP connection to one inspector WebSocket (`ws://127.0.0.1:9229/<uuid>`). */
export class CdpClient extends MessageSession {
  readonly label: string;
  /**
   * The local port of heapy's TCP connection, as the target's socket table shows the peer (so the
   * attach guard can watch this very connection), or null when it was not seen.
   */
  readonly localPort: number | null;
  private readonly ws: WebSocket;
  private closing = false;

  private constructor(ws: WebSocket, url: string, timeoutMs: number, localPort: number | null) {
    super(timeoutMs);
    this.ws = ws;
    this.label = url;
    this.localPort = localPort;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      // Snapshot chunks, ~100 KB each and thousands of them, skip the UTF-8 decoding, JSON.parse and
      // latin1 re-encoding of the general path: their text is unescaped once, straight into bytes.
      const chunk = Buffer.isBuffer(data) ? snapshotChunk(data) : undefined;
      if (chunk) {
        this.dispatch({ method: CHUNK_METHOD, params: { chunk } });
        return;
      }
      let msg: Message;
      try {
        msg = JSON.parse(String(data)) as Message;
      } catch {
        return; // the inspector only sends JSON; ignore anything else rather than crash
      }
      this.dispatch(msg);
    });
    ws.on('close', (code) => this.markClosed(this.closing ? 'closed by heapy' : `WebSocket closed by the target, code ${code}`));
    ws.on('error', (err) => this.markClosed(err.message));
  }

  /** Opens the WebSocket; rejects with wsRefused or targetTimeout. */
  static connect(wsUrl: string, options: ConnectOptions = {}): Promise<CdpClient> {
    const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise<CdpClient>((resolve, reject) => {
      let ws: WebSocket;
      try {
        // perMessageDeflate off: the inspector does not offer it, and snapshot chunks are local.
        // maxPayload 256 MiB: a Runtime.evaluate returnByValue of a big value can be large; snapshot chunks are ~100 KB.
        ws = new WebSocket(wsUrl, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024, handshakeTimeout: connectTimeout });
      } catch (err) {
        reject(new HeapyError(`${wsUrl}: not a WebSocket URL (${(err as Error).message})`, ExitCode.usage));
        return;
      }
      let settled = false;
      let localPort: number | null = null;
      ws.once('upgrade', (res) => {
        localPort = res.socket.localPort ?? null;
      });
      const fail = (err: HeapyError): void => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(err);
      };
      ws.once('open', () => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        resolve(new CdpClient(ws, wsUrl, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, localPort));
      });
      ws.once('unexpected-response', (_req, res) => {
        fail(new HeapyError(`${wsUrl}: the inspector refused the WebSocket (HTTP ${res.statusCode}; the session id may be stale, or another debugger holds it)`, ExitCode.wsRefused));
      });
      ws.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code;
        if (code === 'ECONNREFUSED') fail(new HeapyError(`${wsUrl}: connection refused (no inspector listening there)`, ExitCode.wsRefused));
        else if (/timed out|ETIMEDOUT/i.test(err.message) || code === 'ETIMEDOUT') {
          fail(new HeapyError(`${wsUrl}: no WebSocket handshake within ${formatDuration(connectTimeout)} (is the target stopped?)`, ExitCode.targetTimeout));
        } else fail(new HeapyError(`${wsUrl}: cannot connect (${code ?? err.message})`, ExitCode.wsRefused));
      });
    });
  }

  protected transmit(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) throw new Error('WebSocket is not open');
    this.ws.send(text);
  }

  pause(): void {
    if (!this.closed) this.ws.pause();
  }

  resume(): void {
    if (!this.closed) this.ws.resume();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closing = true;
    return new Promise<void>((resolve) => {
      this.onClose(() => resolve());
      this.ws.close();
      // A target that stopped answering never completes the closing handshake; 1 s is plenty for a live one.
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}

/**
 * A CDP session with a worker thread, tunnelled through the parent's `NodeWorker` domain:
 * requests go out as `NodeWorker.sendMessageToWorker`, answers and events come back as
 * `NodeWorker.receivedMessageFromWorker`.
 */
export class WorkerSession extends MessageSession {
  readonly label: string;
  /** The parent session's id for this worker. */
  readonly sessionId: string;
  private readonly parent: CdpSession;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(parent: CdpSession, sessionId: string, label: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
    super(timeoutMs);
    this.parent = parent;
    this.sessionId = sessionId;
    this.label = label;
    this.unsubscribe.push(
      parent.on('NodeWorker.receivedMessageFromWorker', (p) => {
        if (p.sessionId !== this.sessionId || typeof p.message !== 'string') return;
        try {
          this.dispatch(JSON.parse(p.message) as Message);
        } catch {
          // not JSON: ignore, as for the main connection
        }
      }),
      parent.on('NodeWorker.detachedFromWorker', (p) => {
        if (p.sessionId === this.sessionId) this.finish('the worker exited');
      }),
      parent.onClose((reason) => this.finish(reason)),
    );
  }

  private finish(reason: string): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.markClosed(reason);
  }

  protected transmit(text: string): void {
    // The parent's answer to sendMessageToWorker carries nothing; failures surface as the inner
    // request's timeout or as connection loss.
    this.parent.send('NodeWorker.sendMessageToWorker', { sessionId: this.sessionId, message: text }, { timeoutMs: 0 }).catch(() => {});
  }

  pause(): void {
    this.parent.pause();
  }

  resume(): void {
    this.parent.resume();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.parent.send('NodeWorker.detach', { sessionId: this.sessionId });
    } catch {
      // the parent is gone already: nothing left to detach
    }
    this.finish('closed by heapy');
  }
}
