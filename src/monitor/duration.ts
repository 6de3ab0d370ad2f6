/**
 * Parsing of the time options (`--interval 100ms`, `--duration 30s`, `--window 1.5,3`).
 */
import { ExitCode, HeapyError } from '../errors.js';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60000, min: 60000, h: 3600000 };

/**
 * Milliseconds in a duration like `100ms`, `0.5s`, `2m`, `1h`. A bare number is seconds, as in
 * mprof (`-T 0.1`). `what` names the option in the error message.
 */
export function parseDuration(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) throw new HeapyError(`${what}: '${text}' is not a duration (examples: 100ms, 0.5s, 30s, 2m)`, ExitCode.usage);
  const ms = Number(m[1]) * (units[m[2] ?? 's'] ?? 1000);
  if (!(ms > 0)) throw new HeapyError(`${what}: must be more than zero`, ExitCode.usage);
  return ms;
}

/** A time window `t0,t1` in seconds; either side may be empty (`,5` = up to 5 s). */
export function parseWindow(text: string): [number, number] {
  const m = /^\s*([\d.]*)\s*,\s*([\d.]*)\s*$/.exec(text);
  const a = m?.[1] === '' ? 0 : Number(m?.[1]);
  const b = m?.[2] === '' ? Infinity : Number(m?.[2]);
  if (!m || Number.isNaN(a) || Number.isNaN(b) || b <= a) {
    throw new HeapyError(`--window: '${text}' is not 't0,t1' in seconds with t0 < t1`, ExitCode.usage);
  }
  return [a, b];
}

/** Splits `[options..., --, command...]`; without `--`, the command starts at the first argument
 * that is not an option or an option's value (`valueOptions` lists the options that take one). */
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
