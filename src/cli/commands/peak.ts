/**
 * `heapy peak [file...]`: the peak memory of a recording and when it happened.
 */
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { latestDataFile, resolveRecording } from '../../monitor/files.js';
import { readMonitorFile } from '../../monitor/format.js';
import { mib } from '../../monitor/live.js';
import { formatSlope } from '../../monitor/plot.js';
import { summarize, type MonitorSummary, type Peak } from '../../monitor/series.js';
import { printJson } from '../json.js';

const usage = `usage: heapy peak [options] [N | file.dat...]

Prints the peak RSS and heap of each recording (default: the newest heapy-*.dat
in the current directory), when it happened, per process, with the least-squares
slope of RSS and heapUsed. N is a recording's number in 'heapy list'.

Options:
      --json   one JSON document, the recordings in order (bytes and seconds)`;

function at(p: Peak | undefined): string {
  return p ? `${mib(p.value).padStart(10)} at ${p.t.toFixed(2)} s` : '-';
}

/** The text `heapy peak` prints for one summary. */
export function formatPeak(s: MonitorSummary): string {
  const lines: string[] = [];
  const state = s.complete ? (s.exitCode !== null ? `exit ${s.exitCode}` : 'ended') : 'incomplete';
  lines.push(`${s.source}: ${s.command.join(' ')}`);
  lines.push(`  ${s.mode}, ${s.duration.toFixed(2)} s, ${s.processes.length} process${s.processes.length === 1 ? '' : 'es'}, ${state}, ${s.gcCount} GCs (${s.gcTime.toFixed(1)} ms)`);
  lines.push(`  peak RSS${s.processes.length > 1 ? ' (sum)' : ''}   ${at(s.peakRss)}`);
  if (s.peakHeapUsed) lines.push(`  peak heapUsed${s.processes.length > 1 ? ' (sum)' : ''} ${at(s.peakHeapUsed)}`);
  if (s.processes.length > 1 || s.processes.some((p) => p.peakHeapUsed)) {
    lines.push('  pid      peak RSS             peak heapUsed        RSS slope       heapUsed slope  command');
    for (const p of s.processes) {
      lines.push(
        `  ${String(p.pid).padEnd(8)} ${at(p.peakRss).padEnd(20)} ${at(p.peakHeapUsed).padEnd(20)} ` +
          `${(p.rssSlope !== undefined ? formatSlope(p.rssSlope) : '-').padEnd(15)} ${(p.heapUsedSlope !== undefined ? formatSlope(p.heapUsedSlope) : '-').padEnd(15)} ${p.cmd}`,
      );
    }
  }
  for (const m of s.marks) lines.push(`  mark ${m.t.toFixed(2)} s  ${m.label}  (pid ${m.pid})`);
  return lines.join('\n');
}

const optionTable = { json: { type: 'boolean', default: false } } satisfies CommandOptions;

/** The `heapy peak` command. */
export const command: CommandModule = {
  summary: 'print the peak memory of a recording and when it happened',
  usage,
  options: optionTable,
  async run(argv) {
    const parsed = parseCommandArgs('peak', argv, optionTable);
    const files = parsed.positionals.length > 0 ? parsed.positionals.map((a) => resolveRecording(a, process.cwd())) : [latestDataFile(process.cwd())];
    if (parsed.values.json) printJson('peak', { recordings: files.map((f) => summarize(readMonitorFile(f))) });
    else for (const f of files) process.stdout.write(formatPeak(summarize(readMonitorFile(f))) + '\n');
    return ExitCode.ok;
  },
};
