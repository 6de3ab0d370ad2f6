/**
 * `heapy monitor <pid>`: record the memory of a running process over time.
 */
import { resolve } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs, duration, DURATION_HELP } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { mib } from '../../monitor/live.js';
import type { LiveState } from '../../monitor/recorder.js';
import { startMonitor } from '../../monitor/remote.js';
import { LiveView } from './run.js';

const usage = `usage: heapy monitor [options] <pid>

Records the memory of a running process until Ctrl-C, --duration, or its exit,
into a data file (see 'heapy plot', 'heapy peak', 'heapy list'). RSS comes from
/proc; for a Node.js process heapy also opens its inspector (SIGUSR1, like
'heapy attach') to read heapUsed, heapTotal, external, arrayBuffers, V8 space
sizes, GC events and mark() labels, and closes it again at the end if it was
closed before.

Options:
  -i, --interval <time>    sampling interval (default 100ms)
  -d, --duration <time>    stop after this long (default: until Ctrl-C or exit)
  -C, --include-children   also sample the RSS of descendants
  -o, --output <file>      data file (default heapy-monitor-YYYYMMDDHHMMSS.dat)
      --rss-only           do not use the inspector
  -q, --quiet              no live view and no summary line

${DURATION_HELP}`;

const optionTable = {
  interval: { type: 'string', short: 'i', default: '100ms' },
  duration: { type: 'string', short: 'd' },
  'include-children': { type: 'boolean', short: 'C', default: false },
  output: { type: 'string', short: 'o' },
  'rss-only': { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
} satisfies CommandOptions;

/** The `heapy monitor` command. */
export const command: CommandModule = {
  summary: 'record the memory of a running process over time (RSS, V8 heap, GC, marks)',
  usage,
  options: optionTable,
  async run(argv) {
    const parsed = parseCommandArgs('monitor', argv, optionTable);
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || !/^\d+$/.test(positionals[0] as string)) throw new HeapyError(`expected one pid\n${usage}`, ExitCode.usage);
    const pid = Number(positionals[0]);
    const intervalMs = duration('--interval', values.interval, { min: 10 });
    const durationMs = values.duration !== undefined ? duration('--duration', values.duration) : undefined;
    const output = values.output !== undefined ? resolve(values.output) : undefined;
    const live = !values.quiet && process.stdout.isTTY ? new LiveView(process.stdout, false) : undefined;
    let last: LiveState | undefined;
    const session = await startMonitor({
      pid,
      output,
      intervalMs,
      includeChildren: values['include-children'],
      rssOnly: values['rss-only'],
      ...(durationMs !== undefined ? { durationMs } : {}),
      onTick: (s) => {
        last = s;
        live?.draw(s);
      },
    });
    if (!values.quiet) process.stderr.write(`heapy: monitoring ${session.description} into ${session.file}; Ctrl-C to stop\n`);
    live?.start();
    const stop = (): void => session.stop();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    let result;
    try {
      result = await session.done;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      live?.stop();
    }
    if (!values.quiet && last) {
      const why = { duration: 'duration reached', stopped: 'stopped', exited: 'process exited', 'connection-lost': 'inspector connection lost' }[result.reason];
      process.stderr.write(`heapy: ${result.file}: ${last.t.toFixed(1)} s (${why}), peak RSS ${mib(last.peakRss)} at ${last.peakT.toFixed(1)} s\n`);
    }
    if (!result.inspectorClosed) {
      process.stderr.write(`heapy: warning: the inspector heapy opened in pid ${pid} may still be listening\n`);
    }
    return ExitCode.ok;
  },
};
