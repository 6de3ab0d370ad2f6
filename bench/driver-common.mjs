// Shared by the bench drivers: the one result line that bench/run.mjs reads from each child.
// Every driver ends with emitResult(); run.mjs takes the last line starting with RESULT_TAG.

/** Prefix of the machine-readable line a driver prints on stdout. */
export const RESULT_TAG = 'BENCH_RESULT ';

/** Prints the driver's result with this process's peak RSS (kB -> MB) and exits with `code`. */
export function emitResult(fields, code = 0) {
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${RESULT_TAG}${JSON.stringify({ ...fields, maxRssMB: Math.round(maxRssMB) })}\n`);
  process.exitCode = code;
}

/** The first line of an error, for a "fails: <reason>" cell. */
export function errorLine(err) {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return msg.split('\n')[0].slice(0, 200);
}

/** Sorts a Map of class -> {count, size} and returns the `top` largest by size. */
export function topClasses(byClass, top = 10) {
  return [...byClass.entries()]
    .map(([name, v]) => ({ name, count: v.count, size: v.size }))
    .sort((a, b) => b.size - a.size)
    .slice(0, top);
}

/** Milliseconds since `t0` (a performance.now() reading), rounded. */
export function since(t0) {
  return Math.round(performance.now() - t0);
}
