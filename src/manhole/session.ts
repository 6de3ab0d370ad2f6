/**
 * One manhole connection: token check, a line gate in front of a node:repl REPLServer, and the
 * control lines of `heapy connect`.
 *
 * The socket is not handed to the REPL directly. Lines are read here and fed to the REPL one at a
 * time (`REPLServer.write`), and the next line waits until the previous command has finished, even
 * one that awaits. That keeps a pasted block in order, lets a flood of input be throttled with
 * socket backpressure instead of buffering it in the app, and leaves room for control lines.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type { REPLServer } from 'node:repl';
import type { Context } from 'node:vm';
import { inspect, type InspectOptions } from 'node:util';
import { decodeControl, encodeControl, TOKEN_PROMPT, PROTOCOL_VERSION, type ClientControl, type ServerControl } from './protocol.js';
import type { EvalCallback, ManholeEval } from '../util/evaluate.js';

/** What a session needs from its manhole. */
export interface SessionConfig {
  /** The node:repl module, loaded only when a manhole starts (it loads node:domain). */
  readonly replModule: typeof import('node:repl');
  /** SHA-256 of the token, or null when no token is asked. */
  readonly tokenDigest: Buffer | null;
  /** Told of every token checked, to throttle guessing (see server.ts AuthGate). */
  readonly authGate?: { settled(socket: Socket): void; rejected(): void };
  /** Text written after a successful connect (and token). */
  readonly banner: string;
  /** The REPL prompt. */
  readonly prompt: string;
  /** Makes the function that runs this session's commands (see evaluate.ts). */
  readonly createEval: (session: ManholeSession) => ManholeEval;
  /** Fills in the REPL's context (namespace, console, `h`) or swaps in the shared one. */
  readonly prepareContext: (repl: REPLServer) => void;
  /** Where security events go. */
  readonly log: (message: string) => void;
  /** How long a client may take to send its token. */
  readonly authTimeoutMs: number;
}

// Limits that keep one client from holding the app's memory: a line is rarely over a few KiB;
// 1 MiB lets a pasted data blob through. Queued input above 1 MiB pauses the socket (TCP
// backpressure pushes back on the client); output a client does not read is capped at 16 MiB.
const MAX_LINE_CHARS = 1 << 20;
const QUEUE_HIGH_CHARS = 1 << 20;
const QUEUE_LOW_CHARS = 1 << 18;
const MAX_UNREAD_OUTPUT_BYTES = 16 << 20;
// Lines fed to the REPL per turn of the event loop, so a flood of short commands does not starve
// the app's own work.
const LINES_PER_TURN = 64;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** One client connection of a manhole. */
export class ManholeSession {
  /** The socket of this client. */
  readonly socket: Socket;
  /** The client's address, for logs. */
  readonly peer: string;
  /** The REPL, once the client is past the token check. */
  repl: REPLServer | null = null;
  /** The stream the REPL and this session's `console` write to. */
  readonly output: Writable;
  /** True once the client said `hello` (it is `heapy connect`). */
  clientMode = false;
  /** Resolves when the socket has closed. */
  readonly closedPromise: Promise<void>;

  private readonly config: SessionConfig;
  private state: 'auth' | 'repl' | 'closed';
  private partial = '';
  private readonly queue: string[] = [];
  private queuedChars = 0;
  private inputEnded = false;
  private busy = false;
  private feeding = false;
  private promptWriting = false;
  private pumpScheduled = false;
  private pending: { id: number; cb: EvalCallback } | null = null;
  private evalSeq = 0;
  private authTimer: NodeJS.Timeout | null = null;
  private readonly onClosed: (s: ManholeSession) => void;

  constructor(socket: Socket, config: SessionConfig, onClosed: (s: ManholeSession) => void) {
    this.socket = socket;
    this.config = config;
    this.onClosed = onClosed;
    this.peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix socket';
    const session = this;
    this.output = new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _enc, cb) {
        session.sendText(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        cb();
      },
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('end', () => {
      this.inputEnded = true;
      if (this.partial !== '') {
        const rest = this.partial;
        this.partial = '';
        this.onLine(rest);
      }
      this.schedulePump();
    });
    // Errors (a client reset mid-write) end the session; the app must not see them.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => this.cleanup());
    if (config.tokenDigest) {
      this.state = 'auth';
      this.sendText(TOKEN_PROMPT);
      this.authTimer = setTimeout(() => {
        this.config.log(`manhole: no token from ${this.peer} within ${this.config.authTimeoutMs} ms; closed`);
        this.sendText('\nmanhole: no token given\n');
        this.socket.end();
      }, config.authTimeoutMs);
      this.authTimer.unref();
    } else {
      this.state = 'repl';
      this.startRepl();
    }
  }

  /** Ends the session: the REPL closes and the socket is ended (destroyed if it lingers). */
  close(reason?: string): void {
    if (this.state === 'closed') return;
    if (reason) this.sendText(`\n${reason}\n`);
    this.state = 'closed';
    this.repl?.close();
    this.socket.end();
    // A client that never reads would keep the socket half-open; 500 ms is ample for a FIN.
    setTimeout(() => this.socket.destroy(), 500).unref();
  }

  /** Writes text to the client, unless it is gone or not reading. */
  sendText(text: string): void {
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (s.writableLength > MAX_UNREAD_OUTPUT_BYTES) {
      this.config.log(`manhole: ${this.peer} does not read its output (${s.writableLength} bytes queued); disconnected`);
      s.destroy();
      return;
    }
    if (this.clientMode && this.promptWriting) {
      s.write(encodeControl({ kind: 'prompt', prompt: text }));
      return;
    }
    s.write(text);
  }

  private sendControl(msg: ServerControl): void {
    const s = this.socket;
    if (!s.destroyed && s.writable) s.write(encodeControl(msg));
  }

  private closed(): boolean {
    return this.state === 'closed';
  }

  private onData(chunk: string): void {
    if (this.state === 'closed') return;
    let text = this.partial + chunk;
    let nl: number;
    let from = 0;
    while ((nl = text.indexOf('\n', from)) >= 0) {
      if (nl - from > MAX_LINE_CHARS) {
        this.tooLong();
        return;
      }
      let line = text.slice(from, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      from = nl + 1;
      this.onLine(line);
      if (this.closed()) return;
    }
    text = text.slice(from);
    if (text.length > MAX_LINE_CHARS) {
      this.tooLong();
      return;
    }
    this.partial = text;
  }

  private tooLong(): void {
    this.partial = '';
    this.config.log(`manhole: ${this.peer} sent a line of over ${MAX_LINE_CHARS} characters; disconnected`);
    this.close(`manhole: line longer than ${MAX_LINE_CHARS} characters; closing`);
  }

  private onLine(line: string): void {
    const control = decodeControl<ClientControl>(line);
    if (control) {
      this.onControl(control);
      return;
    }
    if (this.state === 'auth') {
      this.checkToken(line);
      return;
    }
    if (this.state !== 'repl') return;
    this.queue.push(line);
    this.queuedChars += line.length + 1;
    if (this.queuedChars > QUEUE_HIGH_CHARS && !this.socket.isPaused()) this.socket.pause();
    this.schedulePump();
  }

  private onControl(msg: ClientControl): void {
    switch (msg.kind) {
      case 'hello':
        this.clientMode = true;
        this.sendControl({ kind: 'hello', v: PROTOCOL_VERSION, auth: this.state === 'auth' });
        if (this.state === 'repl' && this.repl && !this.busy && this.queue.length === 0) {
          this.sendControl({ kind: 'prompt', prompt: this.repl.getPrompt() });
        }
        break;
      case 'complete':
        // Completion reads the namespace, so it needs the token first.
        if (this.state !== 'repl' || !this.repl) {
          this.sendControl({ kind: 'completions', id: msg.id, list: [], prefix: '' });
          return;
        }
        this.complete(msg.id, String(msg.line ?? ''));
        break;
      case 'interrupt':
        this.interrupt();
        break;
      default:
        break;
    }
  }

  private complete(id: number, line: string): void {
    const repl = this.repl!;
    let answered = false;
    const answer = (list: string[], prefix: string) => {
      if (answered) return;
      answered = true;
      this.sendControl({ kind: 'completions', id, list, prefix });
    };
    try {
      repl.completer(line, (err: Error | null | undefined, result?: [string[], string]) => {
        if (err || !result) return answer([], '');
        // Node's completer separates groups with '' entries; the client shows one flat list.
        const seen = new Set<string>();
        const list = result[0].filter((s) => s !== '' && !seen.has(s) && (seen.add(s), true));
        answer(list.slice(0, 2000), result[1] ?? '');
      });
    } catch {
      answer([], '');
    }
  }

  /** Stops waiting for the running command (it goes on in the app) and shows the prompt. */
  private interrupt(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.busy = false;
    const err = new Error('interrupted (the command may still be running in the app)');
    err.stack = `Error: ${err.message}`;
    pending.cb(err);
    this.schedulePump();
  }

  private checkToken(line: string): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const expected = this.config.tokenDigest!;
    this.config.authGate?.settled(this.socket);
    if (timingSafeEqual(digest(line), expected)) {
      this.state = 'repl';
      this.startRepl();
      return;
    }
    this.config.authGate?.rejected();
    this.config.log(`manhole: rejected a wrong token from ${this.peer}`);
    this.sendText('manhole: wrong token\n');
    this.state = 'closed';
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 500).unref();
  }

  private startRepl(): void {
    const evaluate = this.config.createEval(this);
    const session = this;
    // The REPL never reads this stream: lines come through REPLServer.write from the gate.
    const input = new PassThrough();
    const gatedEval = function (this: unknown, code: string, context: Context, file: string, cb: EvalCallback): void {
      if (!session.feeding) {
        // Completion evaluates expressions too; those are not user commands.
        evaluate(code, context, file, cb);
        return;
      }
      session.busy = true;
      const id = ++session.evalSeq;
      session.pending = { id, cb };
      evaluate(code, context, file, function (this: unknown, ...args: [Error | null, unknown?]) {
        if (session.pending?.id !== id) return; // interrupted meanwhile
        session.pending = null;
        session.busy = false;
        // The REPL prints a value only when the callback gets two arguments: keep the arity.
        (cb as (...a: unknown[]) => void)(...args);
        session.schedulePump();
      });
    };
    this.sendText(this.config.banner);
    // The only thing repl.start() writes is the first prompt; mark it as one for client mode.
    this.promptWriting = true;
    let repl: REPLServer;
    try {
      repl = this.config.replModule.start({
        input,
        output: this.output,
        terminal: false,
        useColors: false,
        prompt: this.config.prompt,
        eval: gatedEval as never,
        ignoreUndefined: false,
        useGlobal: false,
      });
    } finally {
      this.promptWriting = false;
    }
    this.repl = repl;
    // In client mode every prompt travels as a control line, so `heapy connect` knows when the
    // server is ready and can keep its own line editor's prompt in step.
    const displayPrompt = repl.displayPrompt.bind(repl);
    repl.displayPrompt = (preserveCursor?: boolean) => {
      this.promptWriting = true;
      try {
        displayPrompt(preserveCursor);
      } finally {
        this.promptWriting = false;
      }
    };
    // Errors that reach the REPL by another way than this eval (an unhandled rejection, a throw
    // in a timer) still carry the frames of the machinery under the user's code: cut them.
    // Node's REPL writer shows proxies as `Proxy [target, handler]`; the manhole shows what the
    // object presents instead (a HeapSet is a proxy whose inspect gives guppy's table).
    const options = { ...((repl.writer as { options?: InspectOptions }).options ?? {}), showProxy: false };
    const writer = Object.assign((value: unknown) => cutMachineryFrames(inspect(value, options)), { options });
    (repl as { writer: unknown }).writer = writer;
    repl.on('exit', () => {
      if (this.state !== 'closed') this.close();
    });
    this.config.prepareContext(repl);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.state !== 'repl' || !this.repl) return;
    let fed = 0;
    while (!this.busy && this.queue.length > 0 && this.state === 'repl') {
      if (fed >= LINES_PER_TURN) {
        this.schedulePump();
        return;
      }
      const line = this.queue.shift()!;
      this.queuedChars -= line.length + 1;
      fed++;
      this.feeding = true;
      try {
        this.repl.write(`${line}\n`);
      } catch {
        // The REPL was closed by the line (`.exit`).
      } finally {
        this.feeding = false;
      }
    }
    if (this.queuedChars < QUEUE_LOW_CHARS && this.socket.isPaused() && this.state === 'repl') this.socket.resume();
    if (this.inputEnded && !this.busy && this.queue.length === 0) this.close();
  }

  private cleanup(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const wasClosed = this.state === 'closed';
    this.state = 'closed';
    this.pending = null;
    this.queue.length = 0;
    if (!wasClosed) this.repl?.close();
    this.onClosed(this);
  }
}

// From `at Script.runInContext (node:vm:...)` on, a stack shows vm, the eval and the REPL.
const machineryFrames = /\n {4,}at Script\.runInContext \(node:vm:\d+:\d+\)(?:\n {4,}at [^\n]*)*/g;

/** Removes the manhole's own stack frames from printed output. */
export function cutMachineryFrames(text: string): string {
  return text.includes('node:vm:') ? text.replace(machineryFrames, '') : text;
}
