/**
 * `heapy clean [N|FILE...]`: `heapy rm`, which without arguments removes every recording in the
 * current directory.
 */
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs } from '../args.js';
import { removeRecordings } from './rm.js';

const usage = `usage: heapy clean [N | file.dat...]

Removes every recording ('heapy run' and 'heapy monitor' data files, the ones
'heapy list' shows) in the current directory, asking nothing and printing each
file it removes. Files without a heapy recording header are never touched. With
arguments, it is 'heapy rm'.`;

const optionTable = {} satisfies CommandOptions;

/** The `heapy clean` command. */
export const command: CommandModule = {
  summary: 'remove every recording in this directory (heapy rm with no arguments)',
  usage,
  options: optionTable,
  async run(argv) {
    const { positionals } = parseCommandArgs('clean', argv, optionTable);
    return removeRecordings('clean', positionals, process.cwd(), true);
  },
};
