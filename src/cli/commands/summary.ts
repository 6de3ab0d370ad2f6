/**
 * `heapy summary <file>`: guppy's partition table of a .heapsnapshot, or its largest dominators.
 */
import { ExitCode, HeapyError } from '../../errors.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, wholeNumber } from '../args.js';
import { retainedTable } from '../../query/dominators.js';

const usage = `usage: heapy summary <file.heapsnapshot> [options]

Prints guppy's partition table of every reachable object: count, size and cumulative share by kind.

Options:
      --by <relation>   kind (default), type, size, referrers, via, id, module, location, producer, unity,
                        or a product such as "kind & size"
      --top <n>         rows to show (default 10; 0 for all)
      --retained        list the largest objects by retained size (the dominator tree) instead
      --json            machine-readable output
      --pprof <out>     also write the dominator tree by kind as pprof (inuse_space: self sizes
                        along each object's chain of holders' kinds)`;

const optionTable = {
  by: { type: 'string', default: 'kind' },
  top: { type: 'string', default: '10' },
  retained: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  pprof: { type: 'string' },
} satisfies CommandOptions;

/** `heapy summary`. */
export const command: CommandModule = {
  summary: 'partition table of a .heapsnapshot file (guppy layout), or its largest dominators',
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('summary', argv, optionTable);
    if (positionals.length !== 1) throw new HeapyError(`summary takes one snapshot file (see 'heapy summary --help')`, ExitCode.usage);
    const top = wholeNumber('--top', values.top, 0);
    const limit = top === 0 ? Infinity : top;
    const file = positionals[0]!;
    // The relations (and the set API) load only for the partition view: --retained needs neither.
    const relation = values.retained || values.by === 'id' ? undefined : (await import('../../query/relations.js')).relationByName(values.by);
    if (!values.retained && values.by !== 'id' && !relation) throw new HeapyError(`unknown relation '${values.by}' for --by`, ExitCode.usage);
    const snap = await loadWithProgress(file);
    if (values.pprof !== undefined) {
      // Loaded only when asked for: --retained stays small (see the module-count test).
      const [{ snapshotPprof }, { writeOutputFile }, { resolve }] = await Promise.all([import('../../export/pprof.js'), import('../output.js'), import('node:path')]);
      const out = resolve(values.pprof);
      writeOutputFile(out, snapshotPprof(snap));
      process.stderr.write(`heapy: wrote ${out}\n`);
    }
    if (values.retained) {
      const table = retainedTable(snap, limit === Infinity ? 1000 : limit);
      if (values.json) (await import('../json.js')).printJson('retained', { file, nodes: snap.nodeCount, count: table.count, total: table.total, rows: table.rows });
      else process.stdout.write(table.text + '\n');
      return ExitCode.ok;
    }
    // The set API (and the analyses it carries) is loaded only for the partition view.
    const [{ HeapSet }, { printPartition }] = await Promise.all([import('../../api/heapset.js'), import('../output.js')]);
    const all = HeapSet.all(snap);
    const set = values.by === 'id' ? all.byId : all.by(relation!);
    printPartition(set, limit, values.json, { file, nodes: snap.nodeCount, edges: snap.edgeCount });
    return ExitCode.ok;
  },
};
