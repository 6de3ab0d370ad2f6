/**
 * What every subcommand does with its arguments and input files, in one place: option parsing
 * with a one-line usage error, numeric, duration and window options through one validator each, and
 * loading a snapshot behind a progress bar.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { basename } from 'node:path';
import { ExitCode, HeapyError } from '../errors.js';
import { loadSnapshotFile, type HeapSnapshot, type ProgressCallback } from '../snapshot/index.js';
import { formatBytes } from '../util/format.js';

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

/**
 * A whole-number option in [min, max]. Every numeric option goes through here, so every bad value
 * gets the same message form: `--top: expected a whole number of at least 0, got 'x'`.
 */
export function wholeNumber(option: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new HeapyError(`${option}: expected a whole number ${range}, got '${value}'`, ExitCode.usage);
  }
  return n;
}

/** {@link wholeNumber} for an option that may be absent. */
export function optionalWholeNumber(option: string, value: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return value === undefined ? undefined : wholeNumber(option, value, min, max);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60000, min: 60000, h: 3600000 };

/**
 * Milliseconds in a duration option: `100ms`, `0.5s`, `30s`, `2m`, `1h`. A bare number is in
 * `bareUnit`: seconds as in mprof (`-T 0.1`) unless the option is documented in milliseconds.
 */
export function duration(option: string, text: string, bareUnit: 's' | 'ms' = 's'): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? bareUnit]! : NaN;
  if (!(ms > 0)) throw new HeapyError(`${option}: expected a duration above zero such as 500ms, 30s or 2m, got '${text}'`, ExitCode.usage);
  return ms;
}

/** A time window `t0,t1` in seconds; either side may be empty (`,5` = up to 5 s). */
export function timeWindow(option: string, text: string): [number, number] {
  const m = /^\s*([\d.]*)\s*,\s*([\d.]*)\s*$/.exec(text);
  const a = m?.[1] === '' ? 0 : Number(m?.[1]);
  const b = m?.[2] === '' ? Infinity : Number(m?.[2]);
  if (!m || Number.isNaN(a) || Number.isNaN(b) || b <= a) {
    throw new HeapyError(`${option}: expected 't0,t1' in seconds with t0 < t1, got '${text}'`, ExitCode.usage);
  }
  return [a, b];
}

/**
 * Splits `[options..., --, command...]`; without `--`, the command starts at the first argument
 * that is not an option or an option's value (`valueOptions` lists the options that take one).
 */
export function splitCommand(argv: string[], valueOptions: ReadonlySet<string>): { options: string[]; command: string[] } {
  const dd = argv.indexOf('--');
  if (dd >= 0) return { options: argv.slice(0, dd), command: argv.slice(dd + 1) };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i] as string;
    if (!a.startsWith('-') || a === '-') break;
    i += valueOptions.has(a) ? 2 : 1;
  }
  return { options: argv.slice(0, i), command: argv.slice(i) };
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

// The one progress display: a line on stderr, shown only when stderr is a TTY (scripts and CI see
// nothing). Phases with a known total get a bar and a percentage; a stream of unknown length (a
// snapshot arriving from a target) shows the bytes received.

// Names people read for the capture phases (the engine's own phases print as they are named).
const PHASE_NAMES: Readonly<Record<string, string>> = { snapshot: 'target walk', transfer: 'received' };
const BAR_WIDTH = 30;

/** Returns a progress callback drawing a one-line display for `label`, and a function that clears it. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { onProgress: ProgressCallback | undefined; done(): void } {
  if (!stream.isTTY) return { onProgress: undefined, done() {} };
  let last = 0;
  let shown = false;
  const onProgress: ProgressCallback = (phase, done, total) => {
    const now = Date.now();
    // Redraw at most 10 times a second: a 1 GB file reports ~130 chunks, a 200 MB snapshot from a
    // target arrives as ~2000.
    if (now - last < 100 && !(total > 0 && done === total)) return;
    last = now;
    const name = (PHASE_NAMES[phase] ?? phase).padEnd(11);
    let text: string;
    if (total > 0) {
      const frac = Math.min(1, done / total);
      text = `${label} ${name} ${'█'.repeat(Math.round(frac * BAR_WIDTH)).padEnd(BAR_WIDTH, '░')} ${`${Math.round(frac * 100)}%`.padStart(4)}`;
    } else if (phase === 'transfer') {
      text = `${label} ${name} ${formatBytes(done)}`;
    } else {
      text = `${label} ${name}`;
    }
    stream.write(`\r\x1b[K${text}`);
    shown = true;
  };
  return {
    onProgress,
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
