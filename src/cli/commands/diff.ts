/**
 * `heapy diff <a> <b>`: what changed from snapshot a to snapshot b, as guppy's diff table (b - a by
 * any relation) followed by DevTools' comparison (objects matched by V8 id: new, deleted, deltas).
 */
import { ExitCode, HeapyError } from '../../errors.js';
import { diffSets, renderDiff } from '../../analyses/diff.js';
import { relationByName } from '../../query/index.js';
import { HeapSet } from '../../api/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, wholeNumber } from '../args.js';
import { printJson } from '../json.js';

const usage = `usage: heapy diff <a.heapsnapshot> <b.heapsnapshot> [options]

Shows b - a (A = the later snapshot b, B = the earlier a), in guppy's layout: the summary, then the
classes whose count or size changed, largest absolute size change first. Then, for snapshots of one
process (V8 ids are stable within a process), the objects matched by id per kind: new in b, deleted
since a, and the deltas (DevTools' comparison view).

Options:
      --by <relation>   kind (default), type, size, referrers, via, module, location, producer, unity,
                        or a product such as "kind & size"
      --top <n>         rows per table (default 10; 0 for all)
      --json            machine-readable output
      --pprof <out>     also write b - a as pprof: the dominator trees by kind (as summary --pprof),
                        a's values subtracted, so shrinkage is negative (go tool pprof -base a b)`;

const optionTable = {
  by: { type: 'string', default: 'kind' },
  top: { type: 'string', default: '10' },
  json: { type: 'boolean', default: false },
  pprof: { type: 'string' },
} satisfies CommandOptions;

/** `heapy diff`. */
export const command: CommandModule = {
  summary: "what changed between two snapshots: guppy's diff table and objects matched by V8 id",
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('diff', argv, optionTable);
    if (positionals.length !== 2) throw new HeapyError(`diff takes two snapshot files (see 'heapy diff --help')`, ExitCode.usage);
    const top = wholeNumber('--top', values.top, 0);
    const relation = relationByName(values.by);
    if (!relation) throw new HeapyError(`unknown relation '${values.by}' for --by`, ExitCode.usage);
    const [fileA, fileB] = positionals as [string, string];
    const snapA = await loadWithProgress(fileA);
    const snapB = await loadWithProgress(fileB);
    if (values.pprof !== undefined) {
      const [{ snapshotPprof }, { diffPprof }, { writeOutputFile }, { resolve }] = await Promise.all([
        import('../../export/pprof.js'),
        import('../../export/pprof-diff.js'),
        import('../output.js'),
        import('node:path'),
      ]);
      const out = resolve(values.pprof);
      const note = `heapy diff: ${fileB} minus ${fileA}, dominator trees by kind (self sizes); negative values are shrinkage`;
      writeOutputFile(out, diffPprof(snapshotPprof(snapA), snapshotPprof(snapB), note));
      process.stderr.write(`heapy: wrote ${out}\n`);
    }
    const older = HeapSet.all(snapA).by(relation);
    const newer = HeapSet.all(snapB).by(relation);
    const d = diffSets(newer, older);
    const limit = top === 0 ? Infinity : top;
    if (values.json) {
      const cut = <T>(rows: readonly T[]) => (limit === Infinity ? rows : rows.slice(0, limit));
      printJson('diff', {
        relation: relation.name,
        header: d.header,
        A: { file: fileB, ...d.a },
        B: { file: fileA, ...d.b },
        rows: cut(d.rows),
        moreRows: d.rows.length - cut(d.rows).length,
        byId: d.byId ? cut(d.byId) : null,
        idNote: d.idNote,
      });
    } else {
      process.stdout.write(renderDiff(d, { limit, moreHint: '--top 0' }) + '\n');
    }
    return ExitCode.ok;
  },
};
