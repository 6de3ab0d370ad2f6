/**
 * `heapy hints <file>`: what to change in the program, read from a heap snapshot, in V8's terms,
 * with the bytes at stake and the objects to look at.
 */
import { ExitCode, HeapyError } from '../../errors.js';
import { findHints, renderHints } from '../../analyses/hints.js';
import type { CommandModule } from '../main.js';
import { compareIdEpochs } from '../../query/epoch.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, optionalWholeNumber } from '../args.js';
import { printJson } from '../json.js';

const usage = `usage: heapy hints <file.heapsnapshot> [options]

Rules that read the heap and say what to change: classes in dictionary mode or with out-of-line
fields, duplicated strings, closures whose context keeps large objects, large (or, with --base,
growing) arrays/Maps/Sets, pending promises and suspended async calls, piled-up timers and
listeners, detached DOM nodes. Largest bytes at stake first.

Options:
      --base <file>     an earlier snapshot of the same process: collections that grew since come first
      --min-bytes <n>   smallest bytes at stake worth a hint (default 65536)
      --min-count <n>   smallest number of promises, calls, timers or entries worth a hint (default 1000)
      --json            machine-readable output`;

const optionTable = {
  base: { type: 'string' },
  'min-bytes': { type: 'string' },
  'min-count': { type: 'string' },
  json: { type: 'boolean', default: false },
} satisfies CommandOptions;

/** `heapy hints`. */
export const command: CommandModule = {
  summary: 'what to change: V8-specific advice with bytes at stake (dictionary mode, duplicates, closures, ...)',
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('hints', argv, optionTable);
    if (positionals.length !== 1) throw new HeapyError(`hints takes one snapshot file (see 'heapy hints --help')`, ExitCode.usage);
    const minBytes = optionalWholeNumber('--min-bytes', values['min-bytes']);
    const minCount = optionalWholeNumber('--min-count', values['min-count']);
    const base = values.base !== undefined ? await loadWithProgress(values.base) : undefined;
    const snap = await loadWithProgress(positionals[0]!);
    // Growth since --base matches objects by id: say so when the ids cannot be matched.
    const verdict = base ? compareIdEpochs(base, snap) : null;
    const baseNote = verdict && verdict.comparable !== true ? `--base ${verdict.comparable === false ? 'not used' : 'used with caution'}: ${verdict.reason}` : null;
    const hints = findHints(snap, null, {
      ...(minBytes !== undefined ? { minBytes } : {}),
      ...(minCount !== undefined ? { minCount } : {}),
      ...(base ? { base } : {}),
    });
    if (values.json) printJson('hints', { file: positionals[0], baseNote, hints });
    else process.stdout.write((baseNote ? `${baseNote}\n\n` : '') + renderHints(hints) + '\n');
    return ExitCode.ok;
  },
};
