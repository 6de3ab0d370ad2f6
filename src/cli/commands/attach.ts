/**
 * `heapy attach <pid | host:port | ws-url>`: a REPL that evaluates in a running Node process
 * through its inspector, with heapy's own dot-commands (.heap, .setref, .snapshot, .gc, .mem)
 * running in heapy's process against the remote session of src/api/remote.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { start, Recoverable, type REPLServer } from 'node:repl';
import { inspect, types } from 'node:util';
import { ExitCode, HeapyError } from '../../errors.js';
import type { Attachment } from '../../attach/connect.js';
import { completeRemote, localNames } from '../../attach/complete.js';
import { formatException, formatRemoteObject, type ExceptionDetails, type RemoteObject } from '../../attach/format.js';
import { remoteHpy } from '../../api/remote.js';
import { relationByName } from '../../query/index.js';
import { localScope } from '../local-scope.js';
import type { CommandModule } from '../main.js';
import { parseCommandArgs, progressBar, DURATION_HELP } from '../args.js';
import type { GuardOptions } from '../../capture/cost.js';
import { attachOptions, defaultSnapshotName, TARGET_OPTIONS, guardOptions, guardUsage, runAttached, type AttachedContext } from '../attached.js';

/** A value the REPL writer prints verbatim (remote results are formatted before they get here). */
class Rendered {
  constructor(readonly text: string) {}
}

const WHERE = `What runs where: input that names h, _ or a name you assigned from a heapy result
runs in heapy (heap = await h.heap(), heap[4].bySize, trades = heap[3], trades.byId.at(0).sp);
everything else runs in the target. .local CODE and .target CODE choose the side explicitly.`;

const usage = `usage: heapy attach <pid | host:port | ws://...> [options]

Opens the inspector of a running Node process (SIGUSR1 when given a pid), connects, and gives a
REPL. heapy's own commands run in heapy's process:
  .heap [--by REL]   snapshot the target and show its partition table (the heap becomes _)
  .setref            later .heap shows only objects allocated after this point
  .snapshot [file]   stream a snapshot to a file
                     (each refused when the target lacks the memory; add --force to capture anyway)
  .gc                collect garbage in the target
  .mem               memory usage, heap statistics and active resources of the target
  .detach            detach (also .exit, Ctrl-D); an inspector heapy opened is closed again
${WHERE}

History: ~/.heapy_attach_history (HEAPY_ATTACH_HISTORY overrides; empty disables).

Options:
      --worker <n>             talk to worker thread n (ids are listed when attaching)
      --port <n>               the inspector port to expect (default: the target's --inspect-port, or 9229)
      --timeout <time>         how long to wait for the target (default 5s)
${guardUsage(31)}

${DURATION_HELP}`;

const HELP = `heapy commands (run in heapy's process):
  .heap [--by REL]   snapshot the target, print the partition table (by kind, or REL: size, type,
                     referrers, via, id, module, location, ...); the heap becomes _
  .setref            remember the newest object id now; later .heap shows only newer objects
  .snapshot [file]   stream a snapshot to file (default heapy-<pid>-<time>.heapsnapshot)
  --force            after .heap, .setref or .snapshot: capture even if the target may lack the memory
  .gc                collect garbage in the target
  .mem               process.memoryUsage(), v8.getHeapStatistics(), active resources
  .local CODE        evaluate CODE in heapy
  .target CODE       evaluate CODE in the target
  .detach            detach and exit (an inspector heapy opened is closed again)
h, in heapy: await h.heap(), await h.setref(), h.clearref(), await h.snapshot([file]), await h.gc(),
  await h.mem(), h.last (the last heap), h.lastSnapshot, h.ref (the reference id).
${WHERE}`;

interface EvaluateResult {
  result: RemoteObject;
  exceptionDetails?: ExceptionDetails;
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('attach', argv, optionTable);
  const spec = parsed.positionals[0];
  if (!spec || parsed.positionals.length > 1) throw new HeapyError(`expected one target\n${usage}`, ExitCode.usage);
  const options = { ...attachOptions(parsed.values), listWorkers: true };
  const guard = guardOptions(parsed.values);
  let attached: Attachment | undefined;
  const code = await runAttached(spec, options, (a, ctx) => {
    attached = a;
    return replSession(a, ctx, guard);
  });
  if (attached) {
    const how = attached.inspector.openedByUs ? 'the inspector heapy opened is closed again' : 'its inspector was open before and stays open';
    process.stderr.write(`heapy: detached from ${attached.description}; ${how}\n`);
  }
  return code;
}

function replSession(a: Attachment, ctx: AttachedContext, guard: GuardOptions): Promise<number> {
  const out = process.stdout;
  const err = process.stderr;
  const colors = Boolean(out.isTTY) && !process.env.NO_COLOR;
  out.write(`attached to ${a.description}${a.inspector.openedByUs ? '; it will be closed again on detach' : ''}\n`);
  if (a.workers.length > 0) {
    out.write(`worker threads: ${a.workers.map((w) => `${w.workerId} (${w.title || w.url || 'worker'})`).join(', ')}${a.session === a.client ? '; use --worker N to attach to one' : ''}\n`);
  }
  out.write(`Type .help for heapy's commands; other input is evaluated in the target.\n`);

  // heapy's results print as their tables; heap sets are proxies (any row index), shown as sets.
  const show = (v: unknown): string => inspect(v, { colors, depth: 2, showProxy: false });
  const h = remoteHpy(a, { progress: progressBar, defaultSnapshotName: () => defaultSnapshotName(a.inspector.pid), guard });
  const local = localScope(h);
  let queue: Promise<unknown> = Promise.resolve();
  // Lines piped in quickly must not overtake a slow evaluation: everything runs in order.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => {});
    return p;
  };
  let abortWait: ((e: Error) => void) | undefined;

  const remoteEval = async (code: string): Promise<Rendered> => {
    const s = a.session;
    const waitAbort = new Promise<never>((_, reject) => {
      abortWait = reject;
    });
    waitAbort.catch(() => {});
    let r: EvaluateResult;
    try {
      r = await Promise.race([
        s.send<EvaluateResult>(
          'Runtime.evaluate',
          { expression: code, awaitPromise: true, generatePreview: true, replMode: true, includeCommandLineAPI: true, objectGroup: 'heapy-repl' },
          { timeoutMs: 0 },
        ),
        waitAbort,
      ]);
    } finally {
      abortWait = undefined;
    }
    // Results hold their objects alive in the target through their objectIds; release them at once
    // so the REPL does not leak into the heap it is looking at.
    void s.send('Runtime.releaseObjectGroup', { objectGroup: 'heapy-repl' }).catch(() => {});
    if (r.exceptionDetails) {
      const desc = r.exceptionDetails.exception?.description ?? '';
      if (/^SyntaxError: (Unexpected end of input|Unterminated template|missing \) after)/.test(desc)) throw new Recoverable(new SyntaxError(desc));
      return new Rendered(formatException(r.exceptionDetails));
    }
    return new Rendered(formatRemoteObject(r.result));
  };

  const server: REPLServer = start({
    prompt: `heapy ${a.inspector.pid ?? a.inspector.port}${a.session === a.client ? '' : `/w${a.session.label.split(' ').pop()}`}> `,
    input: process.stdin,
    output: out,
    terminal: Boolean(process.stdin.isTTY && out.isTTY),
    useColors: colors,
    ignoreUndefined: true,
    writer: (v: unknown) => (v instanceof Rendered ? v.text : show(v)),
    eval: (cmd, _context, _file, callback) => {
      const code = cmd.trim();
      if (code === '') {
        callback(null, undefined);
        return;
      }
      serial(async () => (local.owns(code) ? local.evaluate(cmd) : remoteEval(cmd))).then(
        (v) => callback(null, v),
        (e: unknown) => {
          if (e instanceof Recoverable) callback(e, undefined);
          else if (e instanceof HeapyError) {
            callback(null, new Rendered(`heapy: ${e.message}`));
            if (e.exitCode === ExitCode.connectionLost) lost(e);
          } else if (types.isNativeError(e)) {
            // heapy's own stack frames would only confuse; the message says what went wrong.
            callback(null, new Rendered(`Uncaught ${e.name}: ${e.message}`));
          } else callback(null, new Rendered(`Uncaught ${inspect(e)}`));
        },
      );
    },
    completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
      if (/^\s*\./.test(line)) {
        const word = line.trim();
        const names = Object.keys(server.commands).map((n) => `.${n}`);
        cb(null, [names.filter((n) => n.startsWith(word)), word]);
        return;
      }
      if (local.owns(line)) {
        const m = /^(.*)\.([\w$]*)$/.exec(line.trim());
        if (!m) {
          const word = /[\w$]*$/.exec(line)![0];
          cb(null, [local.names().filter((n) => n.startsWith(word)), word]);
          return;
        }
        const hits = localNames(local.peek(m[1]!)).filter((n) => n.startsWith(m[2]!)).sort().map((n) => `${m[1]}.${n}`);
        cb(null, [hits, line.trim()]);
        return;
      }
      completeRemote(a.session, line).then(
        (r) => cb(null, r),
        () => cb(null, [[], line]),
      );
    },
  });

  let exitCode: number = ExitCode.ok;
  const lost = (e: HeapyError): void => {
    err.write(`heapy: ${e.message}\n`);
    exitCode = e.exitCode;
    server.close();
  };
  let ending = false;
  a.session.onClose((reason) => {
    // Closing the inspector on detach closes the socket from the target's side: not a loss.
    if (ending || ctx.signalled()) return;
    if (reason !== 'closed by heapy') lost(new HeapyError(`connection to ${a.description} lost (${reason})`, ExitCode.connectionLost));
  });

  // Ctrl-C in a TTY while waiting on the target: stop waiting (the target keeps running whatever it
  // was doing; terminating its execution could hit the application's own code instead).
  // node's own handler would print "(To exit, press Ctrl+C again...)" and count the press towards
  // exiting, as if the line were empty; it runs only when nothing is pending.
  const replSigint = server.listeners('SIGINT') as Array<(this: REPLServer) => void>;
  server.removeAllListeners('SIGINT');
  server.on('SIGINT', () => {
    // Ctrl-C during a capture: stop waiting for it and return to the prompt.
    if (h.busy) {
      h.cancel();
      return;
    }
    if (abortWait) {
      abortWait(new HeapyError('stopped waiting; the evaluation may still be running in the target', ExitCode.targetTimeout));
      return;
    }
    for (const l of replSigint) l.call(server);
  });

  const historyPath = process.env.HEAPY_ATTACH_HISTORY ?? join(homedir(), '.heapy_attach_history');
  if (historyPath) {
    server.setupHistory(historyPath, (e) => {
      if (e) err.write(`heapy: history disabled (${e.message})\n`);
    });
  }

  const dot = (name: string, help: string, action: (arg: string) => Promise<string | undefined>): void => {
    server.defineCommand(name, {
      help,
      action(arg: string) {
        server.clearBufferedCommand();
        serial(() => action(arg.trim())).then(
          (text) => {
            if (text) out.write(text + '\n');
            server.displayPrompt();
          },
          (e: unknown) => {
            out.write(`heapy: ${e instanceof Error ? e.message : String(e)}\n`);
            if (e instanceof HeapyError && e.exitCode === ExitCode.connectionLost) lost(e);
            else server.displayPrompt();
          },
        );
      },
    });
  };

  dot('heap', 'Snapshot the target and print its partition table: .heap [--by REL] [--force] (the heap becomes _)', async (line) => {
    const { rest: arg, force } = forceFlag(line);
    if (arg !== '' && !/^--by[= ]/.test(arg)) throw new HeapyError(`.heap takes --by RELATION, not '${arg}'`, ExitCode.usage);
    const by = arg.replace(/^--by[= ]\s*/, '').trim().replace(/^(['"])(.*)\1$/, '$2');
    // Checked before the snapshot: a typo must not cost the target a pause.
    if (by !== '' && by !== 'id' && !relationByName(by)) throw new HeapyError(`unknown relation '${by}' (kind, type, size, referrers, via, id, module, location, producer, unity)`, ExitCode.usage);
    const set = await h.heap({ force });
    const head = h.ref !== undefined ? `Objects allocated since .setref (V8 ids > ${h.ref}; native objects, whose ids carry no age, left out):\n` : '';
    return head + (by === '' ? set : set.by(by)).render();
  });
  dot('setref', 'Later .heap shows only objects allocated after now: .setref [--force]', async (line) => {
    const { rest, force } = forceFlag(line);
    if (rest !== '') throw new HeapyError(`.setref takes only --force, not '${rest}'`, ExitCode.usage);
    const id = await h.setref({ force });
    return `reference set: later .heap shows objects with V8 ids > ${id}`;
  });
  dot('snapshot', 'Stream a snapshot to a file: .snapshot [file] [--force]', async (line) => {
    const { rest, force } = forceFlag(line);
    const path = await h.snapshot(rest || undefined, { force });
    return `wrote ${path}`;
  });
  dot('gc', 'Collect garbage in the target', async () => {
    await h.gc();
    return 'garbage collected';
  });
  dot('mem', 'Memory usage, heap statistics and active resources of the target', async () => String(await h.mem()));
  dot('help', "Show heapy's commands", async () => HELP);
  dot('local', 'Evaluate the rest of the line in heapy: .local CODE', async (arg) => show(await local.evaluate(arg)));
  dot('target', 'Evaluate the rest of the line in the target: .target CODE', async (arg) => (await remoteEval(arg)).text);
  server.defineCommand('detach', {
    help: 'Detach from the target and exit',
    action() {
      server.close();
    },
  });

  return new Promise<number>((resolve) => {
    ctx.onSignal(() => {
      // Detaching has started (runAttached): whatever is pending fails; do not wait for it.
      abortWait?.(new HeapyError('detached', ExitCode.connectionLost));
      server.close();
      resolve(ctx.stoppedStatus());
    });
    server.on('exit', () => {
      ending = true;
      // End of input (Ctrl-D, .detach, piped lines consumed): finish what is queued first, so
      // `printf '.heap\n' | heapy attach PID` prints the table before detaching.
      void queue.then(() => resolve(exitCode));
    });
  });
}

/** A dot-command's argument without a `--force` word, and whether it had one. */
function forceFlag(arg: string): { rest: string; force: boolean } {
  const words = arg.split(/\s+/).filter((w) => w !== '');
  const force = words.includes('--force');
  return { rest: force ? words.filter((w) => w !== '--force').join(' ') : arg, force };
}

const optionTable = TARGET_OPTIONS;

/** The `heapy attach` command. */
export const command: CommandModule = {
  summary: 'a REPL in a running Node process (by pid, host:port or ws URL), with .heap/.setref/.snapshot',
  usage,
  options: optionTable,
  run,
};
