/**
 * `heapy monitor <pid>`: record the memory of a running process over time.
 */
import { resolve } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs, duration, size, DURATION_HELP } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { mib } from '../../monitor/live.js';
import type { LiveState } from '../../monitor/recorder.js';
import { startMonitor, type MonitorTrigger, type TriggeredCapture } from '../../monitor/remote.js';
import { samplingProfileToFile, snapshotToFile } from '../../capture/remote.js';
import type { CdpSession } from '../../attach/cdp.js';
import { formatBytes, formatDuration } from '../../util/format.js';
import { GUARD_OPTIONS, guardOptions, guardUsage } from '../attached.js';
import { LiveView } from './run.js';

const usage = `usage: heapy monitor [options] <pid>

Records the memory of a running process until Ctrl-C, --duration, or its exit,
into a data file (see 'heapy plot', 'heapy peak', 'heapy list'). RSS comes from
/proc; for a Node.js process heapy also opens its inspector (SIGUSR1, like
'heapy attach') to read heapUsed, heapTotal, external, arrayBuffers, V8 space
sizes, GC events and mark() labels, and closes it again at the end if it was
closed before.

Options:
  -i, --interval <time>        sampling interval (default 100ms)
  -d, --duration <time>        stop after this long (default: until Ctrl-C or exit)
  -C, --include-children       also sample the RSS of descendants
  -o, --output <file>          data file (default heapy-monitor-YYYYMMDDHHMMSS.dat)
      --rss-only               do not use the inspector
  -q, --quiet                  no live view and no summary line
      --snapshot-at <size>     the first time the process's RSS reaches SIZE (300MiB, 2G), take
                               one heap snapshot into <data file>.heapsnapshot and keep recording;
                               heap:SIZE watches its V8 heapUsed instead (rss:SIZE = SIZE)
      --profile-for <time>     when the cost guard refuses that snapshot, record a sampling heap
                               profile this long instead, into <data file>.heapprofile (default 10s)
${guardUsage(31)}

${DURATION_HELP}`;

const optionTable = {
  interval: { type: 'string', short: 'i', default: '100ms' },
  duration: { type: 'string', short: 'd' },
  'include-children': { type: 'boolean', short: 'C', default: false },
  output: { type: 'string', short: 'o' },
  'rss-only': { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  'snapshot-at': { type: 'string' },
  'profile-for': { type: 'string', default: '10s' },
  ...GUARD_OPTIONS,
} satisfies CommandOptions;

/** Parses --snapshot-at: `SIZE` or `rss:SIZE` (RSS), `heap:SIZE` (heapUsed). */
export function snapshotThreshold(text: string): { metric: 'rss' | 'heap'; bytes: number } {
  const m = /^(rss|heap):(.*)$/i.exec(text.trim());
  const metric = m ? (m[1]!.toLowerCase() as 'rss' | 'heap') : 'rss';
  return { metric, bytes: size('--snapshot-at', m ? m[2]! : text) };
}

/** The capture a crossed threshold takes: a guarded snapshot, or a sampling profile when the guard refuses. */
function triggeredCapture(pid: number, guard: ReturnType<typeof guardOptions>, profileMs: number): (session: CdpSession, dataFile: string) => Promise<TriggeredCapture> {
  return async (session, dataFile) => {
    const base = (): string => dataFile.replace(/\.dat$/, '');
    const file = `${base()}.heapsnapshot`;
    try {
      const bytes = await snapshotToFile(session, file, { guard: { ...guard, pid } });
      return { kind: 'heapsnapshot', file, bytes };
    } catch (err) {
      if (!(err instanceof HeapyError) || err.exitCode !== ExitCode.captureTooCostly) throw err;
      const profile = `${base()}.heapprofile`;
      const bytes = await samplingProfileToFile(session, profile, profileMs).catch((e: unknown) => {
        throw new HeapyError(`the cost guard refused a snapshot (${err.message}), and ${e instanceof Error ? e.message : String(e)}: nothing recorded`, ExitCode.captureTooCostly);
      });
      const note = `the cost guard refused a snapshot (${err.message}); recorded a sampling heap profile of the next ${formatDuration(profileMs)} of allocations instead`;
      return { kind: 'heapprofile', file: profile, bytes, note };
    }
  };
}

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
    let trigger: MonitorTrigger | undefined;
    if (values['snapshot-at'] !== undefined) {
      const { metric, bytes } = snapshotThreshold(values['snapshot-at']);
      const profileMs = duration('--profile-for', values['profile-for']);
      const what = metric === 'rss' ? 'RSS' : 'heapUsed';
      trigger = {
        metric,
        bytes,
        capture: triggeredCapture(pid, guardOptions(values), profileMs),
        // These lines are the point of the option: printed even with --quiet.
        onCrossed: (value, t) => process.stderr.write(`heapy: ${what} ${formatBytes(value)} reached ${formatBytes(bytes)} at ${t.toFixed(1)} s: taking a heap snapshot\n`),
        onCaptured: (r) => {
          if (r.kind === 'failed') process.stderr.write(`heapy: the capture failed (${r.note ?? 'unknown'}); still recording\n`);
          else {
            if (r.note) process.stderr.write(`heapy: ${r.note}\n`);
            process.stderr.write(`heapy: wrote ${r.kind === 'heapsnapshot' ? 'heap snapshot' : 'sampling heap profile'} ${r.file} (${formatBytes(r.bytes ?? 0)}, ${(r.done - r.t).toFixed(1)} s); still recording\n`);
          }
        },
      };
    }
    const session = await startMonitor({
      pid,
      output,
      intervalMs,
      includeChildren: values['include-children'],
      rssOnly: values['rss-only'],
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(trigger ? { trigger } : {}),
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
