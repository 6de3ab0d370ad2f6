/**
 * What every subcommand does with its arguments and input files, in one place: option parsing
 * with a one-line usage error, numeric, duration and window options through one validator each, and
 * loading a snapshot behind a progress bar.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { escapeControls, ExitCode, HeapyError } from '../errors.js';
import { loadSnapshotFile, loadSnapshotStream, type HeapSnapshot, type ProgressCallback } from '../snapshot/index.js';
import { formatBytes, formatDuration } from '../util/format.js';

/** The options table of a command, in `node:util` parseArgs' form (one per command module). */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` for `heapy <command>`; a bad option is a one-line usage error (exit 2) in the
 * validators' form (`unknown option '--bogus'`, `--top: expected a value`). A string option takes
 * the next argument as its value even when it starts with '-', so `--top -3` reaches the option's
 * validator instead of parseArgs' "argument is ambiguous". A boolean that defaults to true can be
 * turned off with `--no-<name>`. Everything after `--` is positional.
 */
export function parseCommandArgs<const O extends CommandOptions>(
  command: string,
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  const args = normalizeOptions(command, argv, options);
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, allowNegative: true, options });
  } catch (err) {
    // normalizeOptions has checked every option, so this is a parseArgs rule it does not know.
    throw usageError(command, (err as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

/**
 * Checks every option in `argv` against `options` and rewrites each to `--name=value` (or
 * `--name`), so that parseArgs sees nothing it could misread.
 */
function normalizeOptions(command: string, argv: readonly string[], options: CommandOptions): string[] {
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short) byShort.set(o.short, name);
  const out: string[] = [];
  const bad = (message: string): HeapyError => usageError(command, message);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.push(a);
      continue;
    }
    // One long option (`--name`, `--name=value`, `--no-name`) or a group of short ones (`-tq`, `-n5`).
    const names: { flag: string; name: string; inline: string | undefined }[] = [];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const flag = eq < 0 ? a : a.slice(0, eq);
      names.push({ flag, name: flag.slice(2), inline: eq < 0 ? undefined : a.slice(eq + 1) });
    } else {
      for (let k = 1; k < a.length; k++) {
        const name = byShort.get(a[k] as string);
        if (name === undefined) throw bad(`unknown option '-${a[k]}'`);
        const rest = a.slice(k + 1);
        const takesValue = options[name]?.type === 'string';
        names.push({ flag: `-${a[k]}`, name, inline: takesValue && rest !== '' ? rest : undefined });
        if (takesValue) break;
      }
    }
    for (const { flag, name, inline } of names) {
      const spec = options[name];
      if (spec === undefined) {
        const positive = name.startsWith('no-') ? options[name.slice(3)] : undefined;
        if (positive?.type === 'boolean' && positive.default === true && inline === undefined) {
          out.push(`--${name}`);
          continue;
        }
        throw bad(`unknown option '${flag}'`);
      }
      if (spec.type === 'boolean') {
        if (inline !== undefined) throw bad(`${flag}: takes no value, got '${inline}'`);
        out.push(`--${name}`);
        continue;
      }
      let value = inline;
      if (value === undefined) {
        if (i + 1 >= argv.length) throw bad(`${flag}: expected a value`);
        value = argv[++i] as string;
      }
      out.push(`--${name}=${value}`);
    }
  }
  return out;
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

/** The forms every duration option takes, as help texts and errors state them. */
export const DURATION_FORMS = '500ms, 30s, 2m or 1h; a bare number is seconds';

/** The section that ends the help of every command with a duration option. */
export const DURATION_HELP = `Durations:\n  ${DURATION_FORMS}`;

/**
 * Milliseconds in a duration option: `100ms`, `0.5s`, `30s`, `2m`, `1h`. A bare number is seconds
 * for every option (as in mprof's `-T 0.1`, sleep(1) and timeout(1)). `limits` bounds the value in
 * milliseconds; a bare number that is out of range but would fit as milliseconds gets that hint,
 * since `--timeout` once took bare milliseconds (`--timeout 5000` now asks for `5000ms`).
 */
export function duration(option: string, text: string, limits: { min?: number; max?: number } = {}): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 's']! : NaN;
  if (!(ms > 0)) throw new HeapyError(`${option}: expected a duration above zero (${DURATION_FORMS}), got '${text}'`, ExitCode.usage);
  const min = limits.min ?? 0;
  const max = limits.max ?? Infinity;
  if (ms < min || ms > max) {
    const range = max === Infinity ? `of at least ${formatDuration(min)}` : `from ${formatDuration(min || 1)} to ${formatDuration(max)}`;
    const asMs = Number(m?.[1]);
    const hint = m?.[2] === undefined && asMs >= min && asMs <= max ? ` (a bare number is seconds; write ${m?.[1]}ms for milliseconds)` : '';
    throw new HeapyError(`${option}: expected a duration ${range}, got '${text}'${hint}`, ExitCode.usage);
  }
  return ms;
}

// Binary like heapy's output (K, M, G, KiB...: powers of 1024, as docker's -m 2g); kB, MB, GB as SI writes them.
const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
};

/** Bytes in a size option: `512MiB`, `2G` (= 2 GiB), `1.5GiB`, `800MB` (SI), a bare number of bytes. */
export function size(option: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b'] : undefined;
  const bytes = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  if (!(bytes > 0)) throw new HeapyError(`${option}: expected a size above zero such as 512MiB or 2G, got '${text}'`, ExitCode.usage);
  return bytes;
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

/** The flags (`--name` and `-x`) of the options in `options` that take a value, for {@link splitCommand}. */
export function valueOptions(options: CommandOptions): Set<string> {
  const flags = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    flags.add(`--${name}`);
    if (o.short) flags.add(`-${o.short}`);
  }
  return flags;
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

/**
 * Loads and analyses a snapshot file (`-`: standard input, streamed; a FIFO: streamed too), with a
 * progress bar on stderr when it is a terminal.
 */
export async function loadWithProgress(file: string, label = `loading ${inputName(file)}`): Promise<HeapSnapshot> {
  const bar = progressBar(label);
  const waiting = waitNotice(file);
  // The first chunk parsed ends the wait: the notice is not printed once data flows.
  const onProgress: ProgressCallback = (phase, done, total) => {
    waiting.cancel();
    bar.onProgress?.(phase, done, total);
  };
  try {
    if (file !== STDIN) return await loadSnapshotFile(file, { onProgress });
    if (stdinTaken) throw new HeapyError(`standard input ('-') can be read only once`, ExitCode.usage);
    stdinTaken = true;
    return await loadSnapshotStream(process.stdin, 'stdin', { onProgress });
  } finally {
    waiting.cancel();
    bar.done();
  }
}

/** The file argument that means "read the snapshot from standard input". */
export const STDIN = '-';
let stdinTaken = false;

/** How a snapshot argument is named in labels and default output names: `stdin` for `-`. */
export function inputName(file: string): string {
  return file === STDIN ? 'stdin' : basename(file);
}

// A FIFO with no writer, or a terminal on stdin, waits as `cat` would (Ctrl-C ends it with the
// shell's 130). Say so on stderr when nothing has arrived after a second, so it does not look hung.
const WAIT_NOTICE_MS = 1000;

function waitNotice(file: string): { cancel(): void } {
  let what: string | undefined;
  if (file === STDIN) {
    if (process.stdin.isTTY) what = 'a snapshot on standard input';
  } else {
    try {
      if (statSync(file).isFIFO()) what = `a writer on the FIFO ${file}`;
    } catch {
      // The loader reports a missing file.
    }
  }
  if (what === undefined) return { cancel() {} };
  const timer = setTimeout(() => process.stderr.write(`heapy: waiting for ${escapeControls(what)} (Ctrl-C to stop)\n`), WAIT_NOTICE_MS);
  return { cancel: () => clearTimeout(timer) };
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
  let phaseName = '';
  let phaseStart = 0;
  const onProgress: ProgressCallback = (phase, done, total) => {
    const now = Date.now();
    if (phase !== phaseName) {
      phaseName = phase;
      phaseStart = now;
    }
    // Redraw at most 10 times a second: a 1 GB file reports ~130 chunks, a 200 MB snapshot from a
    // target arrives as ~2000.
    if (now - last < 100 && !(total > 0 && done === total)) return;
    last = now;
    const name = (PHASE_NAMES[phase] ?? phase).padEnd(11);
    let text: string;
    if (total > 0) {
      const frac = Math.min(1, done / total);
      text = `${label} ${name} ${'█'.repeat(Math.round(frac * BAR_WIDTH)).padEnd(BAR_WIDTH, '░')} ${`${Math.round(frac * 100)}%`.padStart(4)}`;
      // Time left in this phase at its pace so far: said only once the pace means something
      // (5% and 3 s in), and only for this phase: what the later phases cost depends on the heap's
      // shape (how scattered its objects are), which the bytes read so far do not tell.
      const elapsed = now - phaseStart;
      if (frac >= 0.05 && frac < 1 && elapsed >= 3000) text += `  ~${formatDuration((elapsed * (1 - frac)) / frac)} left in this phase`;
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
