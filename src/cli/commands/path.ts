/**
 * `heapy path <file> (--id N | --kind NAME)`: shortest paths from the roots (guppy's `.sp`).
 */
import { ExitCode, HeapyError } from '../../errors.js';
import { HeapSet } from '../../api/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, wholeNumber } from '../args.js';
import { printJson } from '../json.js';

const usage = `usage: heapy path <file.heapsnapshot> (--id <id> | --kind <name>) [options]

Prints the shortest path from the roots to an object, in JavaScript syntax (guppy's .sp).

Options:
      --id <id>       the V8 object id (the @number heapy prints)
      --kind <name>   the largest instances of a kind, e.g. Message or "properties of Order"
      --limit <n>     how many paths for --kind (default 10)
      --json          machine-readable output`;

const optionTable = { id: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } satisfies CommandOptions;

/** `heapy path`. */
export const command: CommandModule = {
  summary: 'shortest paths from the roots to an object or to the largest instances of a kind',
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('path', argv, optionTable);
    if (positionals.length !== 1 || (values.id === undefined) === (values.kind === undefined)) {
      throw new HeapyError(`path takes one snapshot file and either --id or --kind (see 'heapy path --help')`, ExitCode.usage);
    }
    const limit = wholeNumber('--limit', values.limit, 1);
    const file = positionals[0]!;
    const snap = await loadWithProgress(file);
    let set: HeapSet;
    if (values.id !== undefined) {
      const id = Number(values.id.replace(/^@/, ''));
      const ord = Number.isInteger(id) ? snap.ordinalOfId(id) : -1;
      if (ord < 0) throw new HeapyError(`${file}: no object with id ${values.id}`, ExitCode.badInput);
      set = new HeapSet(snap, Uint32Array.of(ord));
    } else {
      const all = HeapSet.all(snap);
      const row = all.partition.rows.findIndex((r) => r.label === values.kind);
      if (row < 0) throw new HeapyError(`${file}: no objects of kind '${values.kind}'`, ExitCode.badInput);
      const ofKind = all.at(row);
      // The largest instances first, by retained size.
      const ords = Array.from(ofKind.ordinals)
        .sort((a, b) => snap.retainedSize[b]! - snap.retainedSize[a]! || a - b)
        .slice(0, limit);
      set = new HeapSet(snap, Uint32Array.from(ords.sort((a, b) => a - b)));
    }
    const paths = set.sp;
    if (values.json) {
      printJson('path', { file, paths: paths.paths.slice(0, limit) });
    } else if (paths.paths.length === 0) {
      process.stdout.write('no strong path from the roots reaches it (only weak references hold it, or nothing does)\n');
    } else {
      process.stdout.write(paths.toString(limit) + '\n');
    }
    return ExitCode.ok;
  },
};
