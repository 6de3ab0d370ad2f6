/**
 * `heapy heap <pid> [--by RELATION] [--json]`: snapshot a running Node process over the inspector
 * protocol, straight into heapy's engine (no file), and print the partition table.
 */
import { ExitCode, HeapyError } from '../../errors.js';
import { takeSnapshot } from '../../capture/remote.js';
import { relationByName } from '../../query/relations.js';
import type { HeapSnapshot } from '../../snapshot/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs, wholeNumber, progressBar, DURATION_HELP } from '../args.js';
import { printPartition } from '../output.js';
import { attachOptions, TARGET_OPTIONS, guardOptions, guardUsage, runAttached } from '../attached.js';

const usage = `usage: heapy heap <pid | host:port | ws://...> [options]

Snapshots a running Node process (streamed into heapy, no file) and prints guppy's partition
table of every reachable object. An inspector heapy had to open is closed again.

Options:
      --by <relation>          kind (default), type, size, referrers, via, id, module, location, producer, unity,
                               or a product such as 'kind&size'
      --top <n>                rows to print (default 10; 0 = all)
      --json                   machine-readable output
      --gc                     collect garbage in the target first
      --worker <n>             analyse worker thread n instead of the main thread
      --port <n>               inspector port to expect (default: the target's --inspect-port, or 9229)
      --timeout <time>         how long to wait for the target to answer (default 5s)
${guardUsage(31)}

${DURATION_HELP}`;

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('heap', argv, optionTable);
  const { values, positionals } = parsed;
  const spec = positionals[0];
  if (!spec || positionals.length > 1) throw new HeapyError(`expected one target\n${usage}`, ExitCode.usage);
  const top = wholeNumber('--top', values.top);
  const limit = top === 0 ? Infinity : top;
  const relation = values.by === 'id' ? undefined : relationByName(values.by);
  if (values.by !== 'id' && !relation) throw new HeapyError(`unknown relation '${values.by}' for --by`, ExitCode.usage);

  const guard = guardOptions(values);
  // Filled in by the callback (a holder object, since TypeScript does not track closure assignments).
  const got: { snap?: HeapSnapshot; description: string } = { description: '' };
  // The set API (the analyses it carries: ~50 ms of module loading here) loads while the target
  // walks its heap, which takes seconds before the first byte comes (4 s at 1.5 M nodes), rather
  // than before heapy attaches; an attach that fails does not load it at all.
  let api: Promise<typeof import('../../api/heapset.js')> | undefined;
  const code = await runAttached(spec, attachOptions(values), async (a) => {
    got.description = a.description;
    api = import('../../api/heapset.js');
    // Awaited after the capture; a capture that fails first must not leave it unhandled.
    api.catch(() => {});
    const p = progressBar(`heap ${a.inspector.pid ?? a.inspector.port}`);
    try {
      // A light analysis: no relation of --by and no option here reads the dominator tree or
      // retained sizes (the table's Cumulative column adds up self sizes); --by referrers and via
      // read the reverse graph, which the snapshot then fills (graph.ts, AnalysisLevel). It
      // skips more than half of the analysis after parsing.
      got.snap = await takeSnapshot(a.session, { gc: values.gc, onProgress: p.onProgress, guard: { ...guard, pid: a.inspector.pid }, level: 'light' });
    } finally {
      p.done();
    }
    return ExitCode.ok;
  });
  // Analysis runs after detaching: the target is left alone as soon as the bytes are in.
  const snap = got.snap;
  if (code !== ExitCode.ok || !snap || !api) return code;
  const { HeapSet } = await api;
  const all = HeapSet.all(snap);
  const set = values.by === 'id' ? all.byId : all.by(relation!);
  printPartition(set, limit, values.json, { target: got.description, nodes: snap.nodeCount });
  return ExitCode.ok;
}

const optionTable = {
  by: { type: 'string', default: 'kind' },
  top: { type: 'string', default: '10' },
  json: { type: 'boolean', default: false },
  gc: { type: 'boolean', default: false },
  ...TARGET_OPTIONS,
} satisfies CommandOptions;

/** The `heapy heap` command. */
export const command: CommandModule = {
  summary: 'snapshot a running Node process and print its partition table',
  usage,
  options: optionTable,
  run,
};
