/**
 * A progress bar on stderr, shown only when stderr is a TTY (scripts and CI see nothing).
 */
import type { ProgressCallback } from '../snapshot/index.js';

/** Returns a progress callback drawing a one-line bar, and a function that clears it. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { onProgress: ProgressCallback | undefined; done(): void } {
  if (!stream.isTTY) return { onProgress: undefined, done() {} };
  let last = 0;
  let shown = false;
  const onProgress: ProgressCallback = (phase, done, total) => {
    const now = Date.now();
    // Redraw at most 10 times a second: a 1 GB file reports ~130 chunks.
    if (now - last < 100 && done !== total) return;
    last = now;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const bar = total > 0 ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : ''.padEnd(width, '·');
    const pct = total > 0 ? `${Math.round(frac * 100)}%`.padStart(4) : '';
    stream.write(`\r${label} ${phase.padEnd(11)} ${bar} ${pct}`);
    shown = true;
  };
  return {
    onProgress,
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
