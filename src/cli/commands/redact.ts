/**
 * `heapy redact <in> <out>`: a copy of a snapshot that can be shared: string values hashed, numbers
 * zeroed, names, sizes and the graph kept (see src/export/redact.ts for what counts as what).
 */
import { resolve } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { redactSnapshotFile } from '../../export/redact.js';
import { formatBytes } from '../../util/format.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs, progressBar, usageError } from '../args.js';

const usage = `usage: heapy redact <in.heapsnapshot> <out.heapsnapshot> [options]

Writes a copy of a snapshot in V8's format that holds no string values and no numbers: every
string value (the text of strings, regexp sources, script source code) becomes a keyed hash of
it, padded to its length class (16, 32, 64 ... 1024 characters), so equal strings stay equal and
different ones stay different; number values become 0. Class names, property and variable names,
function names, script URLs, sizes, ids and the whole graph stay as they are, so every view of
heapy and DevTools shows the same tables. Property names are kept: an object keyed by user data
(e.g. emails as keys) still shows those keys. The input is read once, in 4 MiB pieces.

Options:
      --key <text>          hash with this key: the same text gets the same replacement in every
                            file redacted with it (to compare two snapshots). Default: a random
                            key, never shown, so nobody can test guesses against the output
      --keep <text>         keep this string value as it is (repeat for several)
      --keep-pattern <re>   keep the string values this JavaScript regular expression matches
                            (repeat for several)`;

const optionTable = {
  key: { type: 'string' },
  keep: { type: 'string', multiple: true },
  'keep-pattern': { type: 'string', multiple: true },
} satisfies CommandOptions;

/** `heapy redact`. */
export const command: CommandModule = {
  summary: 'a shareable copy of a snapshot: string values hashed, numbers zeroed, graph and names kept',
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('redact', argv, optionTable);
    if (positionals.length !== 2) throw usageError('redact', 'redact takes an input and an output snapshot file');
    if (values.key === '') throw usageError('redact', '--key: expected a non-empty key');
    const keepPatterns = (values['keep-pattern'] ?? []).map((p) => {
      try {
        return new RegExp(p, 'u');
      } catch (err) {
        throw usageError('redact', `--keep-pattern: not a regular expression: ${(err as Error).message}`);
      }
    });
    const [input, output] = positionals as [string, string];
    if (input === '-' || output === '-') throw usageError('redact', 'redact reads and writes files, not standard input or output');
    if (resolve(input) === resolve(output)) throw new HeapyError(`${output}: the output would replace the input; name another file`, ExitCode.usage);
    const bar = progressBar('redact');
    try {
      const r = await redactSnapshotFile(input, output, {
        ...(values.key !== undefined ? { key: values.key } : {}),
        keep: values.keep ?? [],
        keepPatterns,
        onProgress: bar.onProgress,
      });
      bar.done();
      process.stderr.write(
        `heapy: wrote ${output} (${formatBytes(r.bytesOut)}): ${r.hashed} strings hashed, ${r.zeroed} numbers zeroed, ` +
          `${r.names} names kept${r.keptByOption ? `, ${r.keptByOption} values kept by --keep/--keep-pattern` : ''}\n`,
      );
    } finally {
      bar.done();
    }
    return ExitCode.ok;
  },
};
