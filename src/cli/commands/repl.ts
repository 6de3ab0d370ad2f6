/**
 * `heapy repl [file]`: a Node REPL with `h` ready, on a snapshot file or on heapy's own process.
 */
import repl from 'node:repl';
import { inspect } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../errors.js';
import { type CommandOptions, parseCommandArgs, usageError } from '../args.js';
import * as api from '../../index.js';
import type { CommandModule } from '../main.js';

const usage = `usage: heapy repl [file.heapsnapshot]

Opens a Node REPL with heapy's API loaded and h = hpy() ready.
With a file, \`heap\` is the HeapSet of every reachable object in it (also: await h.load(file)).
Without one, h works on this process: await h.setref(), await h.heap().`;

const optionTable = {} satisfies CommandOptions;

/** `heapy repl`. */
export const command: CommandModule = {
  summary: 'a Node REPL with h = hpy() ready, on a snapshot file or on this process',
  usage,
  options: optionTable,
  async run(argv) {
    const { positionals } = parseCommandArgs('repl', argv, optionTable);
    if (positionals.length > 1) throw usageError('repl', 'takes at most one file');
    const file = positionals[0];
    const h = api.hpy();
    let heap: api.HeapSet | undefined;
    if (file) heap = await h.load(file);
    const banner = file
      ? `heapy repl on ${file}: \`heap\` is every reachable object; try heap, heap[0].bySize, heap.byId.at(0).sp`
      : 'heapy repl on this process: try await h.setref(), then await h.heap()';
    process.stdout.write(banner + '\n');
    // Heap sets are proxies (any row index reaches at()); show them as their tables, as the
    // manhole and attach REPLs do, not as `Proxy [...]` (node's REPL writer sets showProxy).
    const colors = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
    const server = repl.start({ prompt: 'heapy> ', useGlobal: false, writer: (v) => inspect(v, { colors, showProxy: false }) });
    Object.assign(server.context, api, { h, heap });
    const history = process.env.HEAPY_HISTORY ?? join(homedir(), '.heapy_repl_history');
    await new Promise<void>((resolve) => server.setupHistory(history, () => resolve()));
    await new Promise<void>((resolve) => server.on('exit', () => resolve()));
    h.close();
    return ExitCode.ok;
  },
};
