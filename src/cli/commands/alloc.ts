/**
 * `heapy alloc <pid | host:port | -- command...>`: which functions allocate the live memory, by V8's
 * sampling heap profiler.
 */
import { resolve } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, duration, parseCommandArgs, splitCommand, valueOptions, wholeNumber, DURATION_HELP } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { writeOutputFile } from '../output.js';
import { GrowthTracker, allocationSites, formatAllocTable, formatGrowthStep, type AllocationReport, type SamplingProfile } from '../../monitor/alloc.js';
import { renderAllocHtml } from '../../monitor/alloc-html.js';
import { allocationPprof, allocationSpeedscope } from '../../export/index.js';
import { DEFAULT_SAMPLING_INTERVAL, sampleCommand, sampleTarget, type AllocTarget } from '../../monitor/alloc-session.js';
import { printJson } from '../json.js';

const usage = `usage: heapy alloc [options] <pid | host:port | ws://...>
       heapy alloc [options] -- <command...>

Samples allocations with V8's sampling heap profiler over a time window and
prints the allocation sites (functions, by file:line:column of the function)
holding the most live sampled bytes, with their share and call path. With
-- <command>, heapy starts the command and samples its first Node.js process
from its first line; the window then also ends when the command exits, and a
command still running after the window is stopped with SIGTERM. With --json the
command's stdout goes to stderr, so that stdout holds only the JSON.

Options:
  -d, --duration <time>         sampling window (default 30s; with --watch: total time,
                                default until Ctrl-C or exit). Ctrl-C ends it early.
  -w, --watch                   keep sampling; every --every, report the sites whose live
                                bytes grew since the previous profile
  -e, --every <time>            profile interval of --watch (default 10s)
  -s, --sampling-interval <n>   bytes between samples on average (default ${DEFAULT_SAMPLING_INTERVAL})
  -n, --top <n>                 rows in the table (default 20)
      --json                    JSON instead of the table (with --watch: one line per step)
      --html <file>             also write a self-contained HTML flame view
      --pprof <file>            also write the profile as pprof (profile.proto: inuse_objects, inuse_space)
      --speedscope <file>       also write the profile in speedscope's JSON format (weights in bytes)

${DURATION_HELP}`;

function sleepOrStop(ms: number, stop: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), stop.then(() => {})]).finally(() => clearTimeout(timer));
}

const optionTable = {
  duration: { type: 'string', short: 'd' },
  watch: { type: 'boolean', short: 'w', default: false },
  every: { type: 'string', short: 'e', default: '10s' },
  'sampling-interval': { type: 'string', short: 's' },
  top: { type: 'string', short: 'n', default: '20' },
  json: { type: 'boolean', default: false },
  html: { type: 'string' },
  pprof: { type: 'string' },
  speedscope: { type: 'string' },
} satisfies CommandOptions;

/** The `heapy alloc` command. */
export const command: CommandModule = {
  summary: 'allocation sites by live sampled bytes (V8 sampling heap profiler), --watch for growth',
  usage,
  options: optionTable,
  async run(argv) {
    const { options, command: cmd } = splitCommand(argv, valueOptions(optionTable));
    const { values, positionals } = parseCommandArgs('alloc', argv.includes('--') ? options : argv, optionTable);
    const commandMode = argv.includes('--');
    if (commandMode ? cmd.length === 0 || positionals.length > 0 : positionals.length !== 1) {
      throw new HeapyError(`expected one target (pid, host:port or ws:// URL) or -- <command...>\n${usage}`, ExitCode.usage);
    }
    const samplingInterval = values['sampling-interval'] !== undefined ? wholeNumber('--sampling-interval', values['sampling-interval'], 1) : DEFAULT_SAMPLING_INTERVAL;
    const top = wholeNumber('--top', values.top, 1);
    const durationMs = values.duration !== undefined ? duration('--duration', values.duration) : values.watch ? undefined : 30_000;
    const everyMs = duration('--every', values.every);
    const quiet = values.json;

    const target: AllocTarget = commandMode ? await sampleCommand(cmd, samplingInterval, { stdoutToStderr: values.json }) : await sampleTarget(positionals[0] as string, samplingInterval);
    const t0 = Date.now();
    let stopRequested!: () => void;
    const stopped = new Promise<void>((r) => (stopRequested = r));
    const onSignal = (): void => stopRequested();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const windowEnd = Promise.race([
      stopped,
      target.ending,
      durationMs !== undefined ? new Promise<void>((r) => setTimeout(r, durationMs).unref()) : new Promise<void>(() => {}),
    ]);
    if (!quiet) {
      const how = durationMs !== undefined ? `for ${(durationMs / 1000).toFixed(1)} s` : 'until Ctrl-C';
      process.stderr.write(`heapy: sampling allocations in ${target.description} ${how}${values.watch ? `, a profile every ${(everyMs / 1000).toFixed(1)} s` : ''}; Ctrl-C to stop\n`);
    }

    let profile: SamplingProfile | undefined;
    let report: AllocationReport | undefined;
    let ended = false;
    void windowEnd.then(() => (ended = true));
    try {
      if (values.watch) {
        const tracker = new GrowthTracker();
        while (!ended) {
          await sleepOrStop(everyMs, windowEnd);
          if (target.session.closed) break;
          try {
            profile = await target.profile();
          } catch {
            break;
          }
          report = allocationSites(profile, samplingInterval, Date.now() - t0);
          const step = tracker.add(report, (Date.now() - t0) / 1000);
          if (values.json) printJson('alloc-step', step, true);
          else process.stdout.write(formatGrowthStep(step, { top }) + '\n');
        }
      } else {
        await windowEnd;
        if (!target.session.closed) {
          try {
            profile = await target.profile();
          } catch {
            profile = undefined;
          }
        }
        if (profile) report = allocationSites(profile, samplingInterval, Date.now() - t0);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await target.finish();
      if (target.exited && target.kill) {
        const settled = await Promise.race([target.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
        if (!settled) target.kill('SIGTERM');
        await target.exited;
      }
    }
    if (!profile || !report) {
      throw new HeapyError(`${target.description} went away before its allocation profile could be read`, ExitCode.connectionLost);
    }
    if (!values.watch) {
      if (values.json) printJson('alloc', report);
      else process.stdout.write(formatAllocTable(report, { top }) + '\n');
    } else if (!values.json) {
      process.stdout.write('\n' + formatAllocTable(report, { top }) + '\n');
    }
    if (values.html !== undefined) {
      const out = resolve(values.html);
      writeOutputFile(out, renderAllocHtml(profile, report, { title: `heapy alloc: ${target.description}` }));
      if (!quiet) process.stderr.write(`heapy: wrote ${out}\n`);
    }
    if (values.pprof !== undefined) {
      const out = resolve(values.pprof);
      writeOutputFile(out, allocationPprof(profile, { samplingInterval, durationMs: report.durationMs, startMs: t0 }));
      if (!quiet) process.stderr.write(`heapy: wrote ${out}\n`);
    }
    if (values.speedscope !== undefined) {
      const out = resolve(values.speedscope);
      writeOutputFile(out, JSON.stringify(allocationSpeedscope(profile, `heapy alloc: ${target.description}`, 'heapy')));
      if (!quiet) process.stderr.write(`heapy: wrote ${out}\n`);
    }
    return ExitCode.ok;
  },
};
