/**
 * `heapy plot [file...] [-o out.svg|out.html]`: draw recorded memory over time.
 */
import { extname, resolve } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs, timeWindow } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { writeOutputFile } from '../output.js';
import { latestDataFile, resolveRecording } from '../../monitor/files.js';
import { readMonitorFile } from '../../monitor/format.js';
import { renderHtml, renderSvg } from '../../monitor/plot.js';
import { DEFAULT_METRICS, buildTimeline, parseMetrics } from '../../monitor/series.js';

const usage = `usage: heapy plot [options] [N | file.dat...]

Draws memory over time from data files written by 'heapy run' or 'heapy monitor'
(default: the newest heapy-*.dat in the current directory; N is a recording's number
in 'heapy list'): time in seconds, memory in MiB, one line per series, the peak
marked, GC events as ticks on the time axis (red: major), mark() labels as
vertical lines.

Options:
  -o, --output <file>    out.svg (the chart) or out.html (chart + table, self-contained);
                         default: the first data file's name with .html
  -w, --window <t0,t1>   only this time range, in seconds (either side may be empty)
  -t, --trend            least-squares trend line per series, slope in MiB/s
  -s, --series <list>    series to draw: rss, heapUsed, heapTotal, external,
                         arrayBuffers, rssTotal (default ${DEFAULT_METRICS.join(',')})
      --title <text>     chart title (default: the recorded command)`;

const optionTable = {
  output: { type: 'string', short: 'o' },
  window: { type: 'string', short: 'w' },
  trend: { type: 'boolean', short: 't', default: false },
  series: { type: 'string', short: 's' },
  title: { type: 'string' },
} satisfies CommandOptions;

/** The `heapy plot` command. */
export const command: CommandModule = {
  summary: 'chart memory over time from heapy run/monitor data files (SVG or HTML)',
  usage,
  options: optionTable,
  async run(argv) {
    const parsed = parseCommandArgs('plot', argv, optionTable);
    const { values, positionals } = parsed;
    const files = positionals.length > 0 ? positionals.map((a) => resolveRecording(a, process.cwd())) : [latestDataFile(process.cwd())];
    const window = values.window !== undefined ? timeWindow('--window', values.window) : undefined;
    const metrics = values.series !== undefined ? parseMetrics(values.series) : DEFAULT_METRICS;
    const timelines = files.map((f) => buildTimeline(readMonitorFile(f), metrics, window));
    const first = files[0] as string;
    const output = resolve(values.output ?? first.replace(/\.dat$/, '') + '.html');
    const ext = extname(output).toLowerCase();
    if (ext !== '.svg' && ext !== '.html' && ext !== '.htm') {
      throw new HeapyError(`--output: '${output}' must end in .svg or .html`, ExitCode.usage);
    }
    const opts = { trend: values.trend, ...(window ? { window } : {}), ...(values.title !== undefined ? { title: values.title } : {}) };
    const text = ext === '.svg' ? renderSvg(timelines, opts) : renderHtml(timelines, opts);
    writeOutputFile(output, text);
    const n = timelines.reduce((a, tl) => a + tl.series.length, 0);
    process.stdout.write(`${output} (${n} series)\n`);
    return ExitCode.ok;
  },
};
