/**
 * `heapy connect`: an interactive client for a manhole (startManhole), with line editing,
 * history, and tab completion of the remote namespace.
 */
import { readFileSync } from 'node:fs';
import { writeFileReplacing } from '../../util/safe-write.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { type CommandOptions, parseCommandArgs } from '../args.js';
import type { CommandModule } from '../main.js';
import { manholeSecretName, readSecret as readStoredSecret } from '../../util/secrets.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { ManholeConnection, describeTarget, parseManholeTarget } from '../../manhole/client.js';

const usage = `usage: heapy connect <port | host:port | socket-path>

Opens the REPL of a running app's manhole (see startManhole). A bare port means 127.0.0.1.

Keys: Tab completes names from the app's namespace, Up/Down walk the history, Ctrl-C cancels
the current line (or stops waiting for a running command), Ctrl-D leaves.

Without a terminal on stdin, lines are read from stdin and sent as they come (like nc); the
token, if asked and not in the environment, is the first line.

Environment:
  HEAPY_HISTORY        history file (default ~/.heapy_history)
  HEAPY_MANHOLE_TOKEN  token to send when the manhole asks for one (else the token a TCP manhole
                       of yours generated, from ~/.heapy/run or $XDG_RUNTIME_DIR/heapy; else it is asked for)`;

// Lines kept in the history file; Node's REPL keeps 1000 too.
const HISTORY_SIZE = 1000;

function historyPath(): string {
  return process.env.HEAPY_HISTORY || join(homedir(), '.heapy_history');
}

function loadHistory(path: string): string[] {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
    // The file is oldest first; readline wants newest first.
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

function saveHistory(path: string, newestFirst: readonly string[]): void {
  try {
    writeFileReplacing(path, [...newestFirst].reverse().join('\n') + '\n');
  } catch {
    // A read-only home must not break the session.
  }
}

// Reads a secret from the terminal without echoing it. Returns null if the user gives up
// (Ctrl-C, or Ctrl-D on an empty line).
function readSecret(prompt: string): Promise<string | null> {
  const input = process.stdin;
  return new Promise((resolve) => {
    process.stdout.write(prompt);
    let value = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const finish = (result: string | null) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stdout.write('\n');
      resolve(result);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(value);
        if (ch === '\u0003') return finish(null);
        if (ch === '\u0004') {
          if (value === '') return finish(null);
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

async function runInteractive(conn: ManholeConnection, heapy: boolean, early: string): Promise<number> {
  const out = process.stdout;
  const histFile = historyPath();
  const rl = readline.createInterface({
    input: process.stdin,
    output: out,
    terminal: true,
    history: loadHistory(histFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt: '',
    completer: (line: string, cb: (err: null, result: [string[], string]) => void) => {
      conn.complete(line).then(
        (r) => cb(null, r),
        () => cb(null, [[], line]),
      );
    },
  });
  rl.on('history', (h: string[]) => saveHistory(histFile, h));

  let atPrompt = false;
  let remotePrompt = '> ';
  let lastSent = '';
  let userLeft = false;
  // Text that did not end a line: it is kept on screen when the prompt is redrawn under it.
  let openLine = false;

  const redraw = () => {
    rl.setPrompt(atPrompt ? remotePrompt : '');
    rl.prompt(true);
  };
  conn.onText = (text) => {
    // Output can arrive while the user is typing (timers in the app): put it above the line
    // being edited, then draw the prompt and that line again.
    readline.cursorTo(out, 0);
    readline.clearLine(out, 0);
    if (!heapy) {
      // A plain REPL server sends its prompt as text: the unfinished last line is its prompt.
      const nl = text.lastIndexOf('\n');
      out.write(text.slice(0, nl + 1));
      remotePrompt = nl >= 0 ? text.slice(nl + 1) : remotePrompt + text;
      redraw();
      return;
    }
    out.write(text);
    openLine = !text.endsWith('\n');
    if (atPrompt || rl.line !== '') {
      if (openLine) out.write('\n');
      openLine = false;
      redraw();
    }
  };
  conn.onPrompt = (prompt) => {
    if (openLine) out.write('\n');
    openLine = false;
    remotePrompt = prompt;
    atPrompt = true;
    redraw();
  };
  if (early !== '') conn.onText(early);
  if (heapy && conn.lastPrompt !== null) {
    // The first prompt came before these handlers were set.
    conn.onPrompt(conn.lastPrompt);
  } else if (!heapy) {
    // A plain REPL server: no control lines; every line is sent at once and its prompts come
    // as text (see onText).
    atPrompt = true;
    remotePrompt = '';
    redraw();
  }

  rl.on('line', (line) => {
    lastSent = line;
    if (heapy) {
      atPrompt = false;
      rl.setPrompt('');
    } else {
      remotePrompt = '';
      rl.setPrompt('');
    }
    conn.sendLine(line);
  });
  rl.on('SIGINT', () => {
    if (heapy && !atPrompt) {
      // A command is running: stop waiting for it (the server answers with a prompt).
      out.write('^C\n');
      conn.interrupt();
      return;
    }
    const hadText = rl.line !== '';
    out.write('^C\n');
    // Empty the line being edited: go to its end, then delete back to its start.
    rl.write(null as unknown as string, { ctrl: true, name: 'e' });
    rl.write(null as unknown as string, { ctrl: true, name: 'u' });
    if (remotePrompt.startsWith('...')) {
      // Inside a multi-line command: drop what the server has buffered so far.
      atPrompt = false;
      conn.sendLine('.break');
      return;
    }
    if (!hadText) out.write('(To leave, press Ctrl-D or type .exit)\n');
    redraw();
  });

  return new Promise<number>((resolve) => {
    rl.on('close', () => {
      // Ctrl-D: leave. The server sees the end of input and closes its side.
      userLeft = true;
      conn.end();
      setTimeout(() => conn.destroy(), 1000).unref();
    });
    conn.onClose = () => {
      if (!userLeft) {
        rl.close();
        const byUser = lastSent.trim() === '.exit';
        if (!byUser) process.stderr.write('\nheapy: the manhole closed the connection\n');
        resolve(byUser ? ExitCode.ok : ExitCode.connectionLost);
        return;
      }
      out.write('\n');
      resolve(ExitCode.ok);
    };
  });
}

async function runPiped(conn: ManholeConnection, lines: AsyncIterable<string>): Promise<number> {
  conn.onText = (text) => process.stdout.write(text);
  conn.onPrompt = (prompt) => process.stdout.write(prompt);
  if (conn.lastPrompt !== null) process.stdout.write(conn.lastPrompt);
  const closed = new Promise<void>((r) => (conn.onClose = r));
  for await (const line of lines) {
    if (conn.closed) break;
    conn.sendLine(line);
  }
  conn.end();
  await closed;
  process.stdout.write('\n');
  return ExitCode.ok;
}

const optionTable = {} satisfies CommandOptions;

/** The `heapy connect` command. */
export const command: CommandModule = {
  summary: "open the REPL of a running app's manhole (line editing, history, completion)",
  usage,
  options: optionTable,
  async run(argv) {
    const { positionals } = parseCommandArgs('connect', argv, optionTable);
    if (positionals.length !== 1) {
      process.stderr.write(usage + '\n');
      return ExitCode.usage;
    }
    const target = parseManholeTarget(positionals[0]!);
    const conn = await ManholeConnection.open(target);
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    // Output before the greeting settles (the banner) is kept for the session to show.
    const early: string[] = [];
    conn.onText = (text) => early.push(text);
    const greeting = await conn.greeting;
    if (conn.closed) {
      throw new HeapyError(`${describeTarget(target)} closed the connection at once`, ExitCode.connectionLost);
    }
    const piped = interactive ? null : readline.createInterface({ input: process.stdin, terminal: false });
    const pipedLines = piped ? piped[Symbol.asyncIterator]() : null;
    if (greeting.auth) {
      // The token a manhole generated is stored for its user (util/secrets.ts); then nothing is asked.
      let token = process.env.HEAPY_MANHOLE_TOKEN ?? (target.kind === 'tcp' ? readStoredSecret(manholeSecretName(target.host, target.port)) : undefined);
      if (token === undefined) {
        if (interactive) {
          token = (await readSecret('manhole token: ')) ?? undefined;
        } else {
          const first = await pipedLines!.next();
          token = first.done ? undefined : first.value;
        }
      }
      if (token === undefined) {
        conn.destroy();
        throw new HeapyError('no token given', ExitCode.authFailed);
      }
      // A wrong token: the server answers with one line and closes before any prompt.
      const rejected = new Promise<boolean>((resolve) => {
        conn.onPrompt = () => resolve(false);
        conn.onClose = () => resolve(true);
      });
      const bufferedText: string[] = [];
      conn.onText = (text) => bufferedText.push(text);
      conn.sendLine(token);
      if (await rejected) {
        throw new HeapyError(`${describeTarget(target)} rejected the token`, ExitCode.authFailed);
      }
      // The banner came before the first prompt: show it, then hand over to the session.
      early.push(...bufferedText);
    }
    if (interactive) return runInteractive(conn, greeting.heapy, early.join(''));
    process.stdout.write(early.join(''));
    const rest: AsyncIterable<string> = { [Symbol.asyncIterator]: () => pipedLines! };
    return runPiped(conn, rest);
  },
};
