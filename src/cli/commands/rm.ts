/**
 * `heapy rm N|FILE...`: remove recordings, by the number `heapy list` shows or by name. Only
 * files with a heapy-monitor header are removed; anything else is refused before any is removed.
 */
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs, usageError } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { findDataFiles, isRecording, resolveRecording } from '../../monitor/files.js';

const usage = `usage: heapy rm <N | file.dat>...

Removes recordings written by 'heapy run' or 'heapy monitor', named by file or by
their number in 'heapy list' (numbers refer to the list before anything is removed).
A file without a heapy recording header is not removed, and then neither is any
other; 'heapy clean' removes every recording in the current directory.`;

const optionTable = {} satisfies CommandOptions;

/**
 * Removes the recordings `args` name (all of them in `dir` when `args` is empty and `all` is
 * set), printing each file removed. Every argument is checked before the first removal.
 */
export function removeRecordings(command: string, args: readonly string[], dir: string, all: boolean): number {
  const listed = findDataFiles(dir);
  if (args.length === 0 && !all) throw usageError(command, "expected recordings to remove: numbers from 'heapy list' or file names");
  const files = args.length === 0 ? listed.map((f) => f.path) : args.map((a) => resolveRecording(a, dir, listed));
  for (const f of files) {
    if (!isRecording(f)) throw new HeapyError(`${f}: not a heapy recording (no heapy-monitor header); nothing removed`, ExitCode.badInput);
  }
  if (files.length === 0) process.stdout.write(`no heapy data files in ${dir}\n`);
  for (const f of new Set(files)) {
    rmSync(f);
    process.stdout.write(`removed ${relative(dir, f) || f}\n`);
  }
  return ExitCode.ok;
}

/** The `heapy rm` command. */
export const command: CommandModule = {
  summary: "remove recordings by their number in 'heapy list' or by file name",
  usage,
  options: optionTable,
  async run(argv) {
    const { positionals } = parseCommandArgs('rm', argv, optionTable);
    return removeRecordings('rm', positionals, process.cwd(), false);
  },
};
