/**
 * The client side of the manhole protocol, used by `heapy connect`: it opens the connection,
 * separates control lines from the REPL's text, and offers completion and interruption.
 * It does no terminal I/O; the CLI wires it to readline.
 */
import net from 'node:net';
import { ExitCode, HeapyError } from '../errors.js';
import { CONTROL_PREFIX, decodeControl, encodeControl, PROTOCOL_VERSION, type ServerControl } from './protocol.js';

/** Where a manhole listens, as given to `heapy connect`. */
export type ManholeTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Parses `<port | host:port | socket-path>`; a bare port means 127.0.0.1. */
export function parseManholeTarget(arg: string): ManholeTarget {
  if (/^\d+$/.test(arg)) return { kind: 'tcp', host: '127.0.0.1', port: checkPort(arg, arg) };
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(arg);
  if (bracketed) return { kind: 'tcp', host: bracketed[1]!, port: checkPort(bracketed[2]!, arg) };
  const hostPort = /^([A-Za-z0-9.-]+):(\d+)$/.exec(arg);
  if (hostPort && !arg.includes('/')) return { kind: 'tcp', host: hostPort[1]!, port: checkPort(hostPort[2]!, arg) };
  if (arg === '') throw new HeapyError('missing manhole address', ExitCode.usage);
  return { kind: 'unix', path: arg };
}

function checkPort(text: string, arg: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new HeapyError(`bad port in '${arg}'`, ExitCode.usage);
  return port;
}

/** Human form of a target, for messages. */
export function describeTarget(t: ManholeTarget): string {
  return t.kind === 'unix' ? t.path : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** What the server said when the connection was set up. */
export interface ManholeGreeting {
  /** True if the server is a heapy manhole (it answered `hello`). */
  readonly heapy: boolean;
  /** True if the server waits for a token. */
  readonly auth: boolean;
}

// How long to wait for the answer to `hello` before treating the server as a plain REPL. A local
// heapy manhole answers within milliseconds; 1.5 s leaves room for a busy app.
const HELLO_TIMEOUT_MS = 1500;
const COMPLETE_TIMEOUT_MS = 2000;

/** An open connection to a manhole. Set the `on*` handlers before awaiting {@link ManholeConnection.greeting}. */
export class ManholeConnection {
  /** REPL output (results, errors, console output). */
  onText: (text: string) => void = () => {};
  /** The server is ready for the next line and shows this prompt. */
  onPrompt: (prompt: string) => void = () => {};
  /** The connection ended (by either side). */
  onClose: () => void = () => {};
  /** The last prompt the server sent (null before the first): the server is ready when set. */
  lastPrompt: string | null = null;
  /** Resolves once the server answered `hello` (or did not, in time). */
  readonly greeting: Promise<ManholeGreeting>;

  private readonly socket: net.Socket;
  private buffer = '';
  private greeted = false;
  private preGreeting = '';
  private resolveGreeting!: (g: ManholeGreeting) => void;
  private nextId = 1;
  private readonly completions = new Map<number, (r: [string[], string]) => void>();
  private closedFlag = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.greeting = new Promise((r) => (this.resolveGreeting = r));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedFlag = true;
      this.finishGreeting({ heapy: this.greeted, auth: false });
      for (const resolve of this.completions.values()) resolve([[], '']);
      this.completions.clear();
      this.onClose();
    });
    const timer = setTimeout(() => this.finishGreeting({ heapy: false, auth: false }), HELLO_TIMEOUT_MS);
    timer.unref();
    void this.greeting.then(() => clearTimeout(timer));
    socket.write(encodeControl({ kind: 'hello', v: PROTOCOL_VERSION }));
  }

  /** Connects; throws a HeapyError if nothing listens there. */
  static open(target: ManholeTarget, timeoutMs = 5000): Promise<ManholeConnection> {
    return new Promise((resolve, reject) => {
      const socket = target.kind === 'unix' ? net.connect({ path: target.path }) : net.connect({ host: target.host, port: target.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HeapyError(`no answer from ${describeTarget(target)} within ${timeoutMs} ms`, ExitCode.targetTimeout));
      }, timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const code = err.code === 'EACCES' ? ExitCode.permissionDenied : ExitCode.addressUnavailable;
        const why = err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'no manhole listens there' : (err.code ?? err.message);
        reject(new HeapyError(`cannot connect to ${describeTarget(target)}: ${why}`, code));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ManholeConnection(socket));
      });
    });
  }

  /** True once the connection has ended. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sends one line of input (a command, or the token when asked). */
  sendLine(line: string): void {
    if (!this.closedFlag) this.socket.write(`${line}\n`);
  }

  /** Asks the server to complete `line`; resolves to readline's `[completions, substring]`. */
  complete(line: string): Promise<[string[], string]> {
    if (this.closedFlag || !this.greeted) return Promise.resolve([[], line]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.completions.delete(id);
        resolve([[], line]);
      }, COMPLETE_TIMEOUT_MS);
      this.completions.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.socket.write(encodeControl({ kind: 'complete', id, line }));
    });
  }

  /** Asks the server to stop waiting for the running command. */
  interrupt(): void {
    if (!this.closedFlag && this.greeted) this.socket.write(encodeControl({ kind: 'interrupt' }));
  }

  /** Ends the input side; the server finishes queued commands and closes. */
  end(): void {
    if (!this.closedFlag) this.socket.end();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private finishGreeting(g: ManholeGreeting): void {
    if (this.preGreeting !== '' && !g.heapy) {
      // Not a heapy manhole (or too slow to say so): show what it sent as it is.
      const text = this.preGreeting;
      this.preGreeting = '';
      this.onText(text);
    }
    this.resolveGreeting(g);
  }

  private emitText(text: string): void {
    if (text === '') return;
    if (!this.greeted) {
      this.preGreeting += text;
      return;
    }
    this.onText(text);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const at = this.buffer.indexOf(CONTROL_PREFIX);
      if (at < 0) {
        // Hold back a tail that may be the start of a control prefix split across chunks.
        let keep = 0;
        for (let k = Math.min(CONTROL_PREFIX.length - 1, this.buffer.length); k > 0; k--) {
          if (CONTROL_PREFIX.startsWith(this.buffer.slice(-k))) {
            keep = k;
            break;
          }
        }
        this.emitText(this.buffer.slice(0, this.buffer.length - keep));
        this.buffer = this.buffer.slice(this.buffer.length - keep);
        return;
      }
      const nl = this.buffer.indexOf('\n', at);
      if (nl < 0) {
        this.emitText(this.buffer.slice(0, at));
        this.buffer = this.buffer.slice(at);
        return;
      }
      this.emitText(this.buffer.slice(0, at));
      const line = this.buffer.slice(at, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const msg = decodeControl<ServerControl>(line);
      if (msg) this.onControl(msg);
    }
  }

  private onControl(msg: ServerControl): void {
    switch (msg.kind) {
      case 'hello': {
        if (this.greeted) return;
        this.greeted = true;
        // What came before the answer was meant for plain clients: the banner (shown) and a
        // prompt or token request on its last line (dropped: it comes again as a control line
        // or is asked by the client itself).
        const text = this.preGreeting;
        this.preGreeting = '';
        const lastNl = text.lastIndexOf('\n');
        if (lastNl >= 0) this.onText(text.slice(0, lastNl + 1));
        this.finishGreeting({ heapy: true, auth: Boolean(msg.auth) });
        break;
      }
      case 'prompt':
        this.lastPrompt = String(msg.prompt ?? '');
        this.onPrompt(this.lastPrompt);
        break;
      case 'completions': {
        const resolve = this.completions.get(msg.id);
        if (resolve) {
          this.completions.delete(msg.id);
          resolve([Array.isArray(msg.list) ? msg.list.map(String) : [], String(msg.prefix ?? '')]);
        }
        break;
      }
      default:
        break;
    }
  }
}
