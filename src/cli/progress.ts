/**
 * The one progress display: a line on stderr, shown only when stderr is a TTY (scripts and CI see
 * nothing). Phases with a known total get a bar and a percentage; a stream of unknown length
 * (a snapshot arriving from a target) shows the bytes received.
 */
import type { ProgressCallback } from '../snapshot/index.js';
import { formatBytes } from '../util/format.js';

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
