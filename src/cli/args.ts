/**
 * What every subcommand does with its arguments and input files, in one place: option parsing
 * with a one-line usage error, whole-number options, and loading a snapshot behind a progress bar.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { basename } from 'node:path';
import { ExitCode, HeapyError } from '../errors.js';
import { loadSnapshotFile, type HeapSnapshot } from '../snapshot/index.js';
import { progressBar } from './progress.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` for `heapy <command>`; a bad option is a one-line usage error (exit 2). */
export function parseCommandArgs<const O extends Options>(
  command: string,
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    throw usageError(command, (err as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

/** A one-line usage error that points at `heapy <command> --help`. */
export function usageError(command: string, message: string): HeapyError {
  return new HeapyError(`${message} (see 'heapy ${command} --help')`, ExitCode.usage);
}

/** An option that must be a whole number of at least `min`. */
export function wholeNumber(option: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new HeapyError(`${option} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not '${value}'`, ExitCode.usage);
  }
  return n;
}

/** Loads and analyses a snapshot file, with a progress bar on stderr when it is a terminal. */
export async function loadWithProgress(file: string, label = `loading ${basename(file)}`): Promise<HeapSnapshot> {
  const bar = progressBar(label);
  try {
    return await loadSnapshotFile(file, { onProgress: bar.onProgress });
  } finally {
    bar.done();
  }
}
