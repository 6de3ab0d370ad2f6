/**
 * `heapy run [options] -- <command...>`: start a command and record its memory over time.
 */
import { resolve } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, duration, parseCommandArgs, splitCommand, valueOptions, DURATION_HELP } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { renderLiveLine, mib } from '../../monitor/live.js';
import type { LiveState } from '../../monitor/recorder.js';
import { startRun } from '../../monitor/run.js';

const usage = `usage: heapy run [options] [--] <command...>

Starts <command>, samples its memory until it exits, and writes a data file
(see 'heapy plot', 'heapy peak', 'heapy list'). Exits with the command's exit code.
RSS comes from /proc; Node processes also report heapUsed, heapTotal, external,
arrayBuffers, V8 space sizes, GC events and mark() labels through a preloaded
probe (NODE_OPTIONS=--require ...).

Options:
  -i, --interval <time>    sampling interval (default 100ms)
  -C, --include-children   also sample descendants (cluster workers, children of npm/sh)
  -o, --output <file>      data file (default heapy-run-YYYYMMDDHHMMSS.dat in the current directory)
      --no-probe           do not preload the probe (RSS only)
  -q, --quiet              no live view and no summary line

${DURATION_HELP}`;

/** Draws the live status line on a terminal: pinned to the bottom row (the command's own output
 * scrolls above it) or redrawn in place when nothing else writes to the terminal. */
export class LiveView {
  private readonly out: NodeJS.WriteStream;
  private readonly pinned: boolean;
  private rows = 0;
  private lastDraw = 0;
  private active = false;
  private readonly onResize = (): void => this.setRegion();

  /** `pinned`: reserve the bottom row with a scroll region (for `run`, whose command writes to the same terminal). */
  constructor(out: NodeJS.WriteStream, pinned: boolean) {
    this.out = out;
    this.pinned = pinned && (out.rows ?? 0) >= 4;
  }

  /** Prepares the terminal. */
  start(): void {
    this.active = true;
    if (this.pinned) {
      // Make room for the status row, then confine scrolling to the rows above it.
      this.out.write('\n\x1b[1A');
      this.setRegion();
      this.out.on('resize', this.onResize);
    }
  }

  private setRegion(): void {
    this.rows = this.out.rows ?? 24;
    // DECSTBM homes the cursor, hence the save (ESC 7) and restore (ESC 8) around it.
    this.out.write(`\x1b7\x1b[1;${this.rows - 1}r\x1b8`);
  }

  /** Redraws, at most 4 times a second (a terminal needs no more, and it keeps the cost low at 10 ms intervals). */
  draw(state: LiveState, force = false): void {
    if (!this.active) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const line = renderLiveLine(state, this.out.columns ?? 80);
    if (this.pinned) this.out.write(`\x1b7\x1b[${this.rows};1H\x1b[2K${line}\x1b8`);
    else this.out.write(`\r\x1b[2K${line}`);
  }

  /** Clears the status line and gives the terminal back. */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    if (this.pinned) {
      this.out.off('resize', this.onResize);
      this.out.write(`\x1b7\x1b[${this.rows};1H\x1b[2K\x1b[r\x1b8`);
    } else {
      this.out.write('\r\x1b[2K');
    }
  }
}

/** Forwards SIGINT and SIGTERM to `kill` until the returned function is called. */
export function forwardSignals(kill: (sig: NodeJS.Signals) => void): () => void {
  const onInt = (): void => kill('SIGINT');
  const onTerm = (): void => kill('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

const optionTable = {
  interval: { type: 'string', short: 'i', default: '100ms' },
  'include-children': { type: 'boolean', short: 'C', default: false },
  output: { type: 'string', short: 'o' },
  probe: { type: 'boolean', default: true },
  quiet: { type: 'boolean', short: 'q', default: false },
} satisfies CommandOptions;

/** The `heapy run` command. */
export const command: CommandModule = {
  summary: 'run a command and record its memory over time (like mprof run)',
  usage,
  options: optionTable,
  async run(argv) {
    const { options, command: cmd } = splitCommand(argv, valueOptions(optionTable));
    const { values } = parseCommandArgs('run', options, optionTable);
    if (cmd.length === 0) throw new HeapyError(`no command given\n${usage}`, ExitCode.usage);
    // Reading /proc and V8 figures faster than every 10 ms only adds noise.
    const intervalMs = duration('--interval', values.interval, { min: 10 });
    const output = values.output !== undefined ? resolve(values.output) : undefined;
    const live = !values.quiet && process.stdout.isTTY ? new LiveView(process.stdout, true) : undefined;
    let last: LiveState | undefined;
    const running = await startRun({
      command: cmd,
      output,
      intervalMs,
      includeChildren: values['include-children'],
      probe: values.probe,
      onTick: (s) => {
        last = s;
        live?.draw(s);
      },
    });
    live?.start();
    const unforward = forwardSignals((sig) => running.kill(sig));
    let result;
    try {
      result = await running.done;
    } finally {
      unforward();
      live?.stop();
    }
    if (!values.quiet && last) {
      process.stderr.write(
        `heapy: ${result.file}: ${last.t.toFixed(1)} s, peak RSS ${mib(last.peakRss)} at ${last.peakT.toFixed(1)} s` +
          ` (plot: heapy plot ${result.file})\n`,
      );
    }
    return result.exitCode;
  },
};
