/**
 * `heapy list [dir]`: the data files in a directory, like `mprof list`.
 */
import { relative, resolve } from 'node:path';
import type { CommandModule } from '../main.js';
import { type CommandOptions, parseCommandArgs } from '../args.js';
import { ExitCode, HeapyError } from '../../errors.js';
import { findDataFiles } from '../../monitor/files.js';
import { readMonitorFile } from '../../monitor/format.js';
import { mib } from '../../monitor/live.js';
import { summarize } from '../../monitor/series.js';
import { printJson } from '../json.js';

const usage = `usage: heapy list [options] [dir]

Lists the heapy-*.dat data files in dir (default: the current directory), oldest
first: number, file, start time, duration, peak RSS, command. 'heapy plot', 'heapy
peak' and 'heapy rm' take the number in place of the file name.

Options:
      --json   one JSON array of {file, start, duration, peakRss, peakRssT, command, complete}`;

function localStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const optionTable = { json: { type: 'boolean', default: false } } satisfies CommandOptions;

/** The `heapy list` command. */
export const command: CommandModule = {
  summary: 'list heapy run/monitor data files in a directory',
  usage,
  options: optionTable,
  async run(argv) {
    const parsed = parseCommandArgs('list', argv, optionTable);
    const dir = parsed.positionals[0] ?? process.cwd();
    const rows = findDataFiles(dir).map((f) => {
      try {
        const s = summarize(readMonitorFile(f.path));
        return { file: f.path, start: s.start, duration: s.duration, peakRss: s.peakRss?.value ?? null, peakRssT: s.peakRss?.t ?? null, command: s.command, complete: s.complete };
      } catch {
        return { file: f.path, start: f.start, duration: null, peakRss: null, peakRssT: null, command: [] as string[], complete: false };
      }
    });
    if (parsed.values.json) {
      printJson('list', { dir: resolve(dir), recordings: rows });
      return ExitCode.ok;
    }
    if (rows.length === 0) {
      process.stdout.write(`no heapy data files in ${dir}\n`);
      return ExitCode.ok;
    }
    const names = rows.map((r) => relative(process.cwd(), r.file) || r.file);
    const w = Math.max(...names.map((n) => n.length));
    rows.forEach((r, i) => {
      const dur = r.duration === null ? '?' : `${r.duration.toFixed(1)} s${r.complete ? '' : '+'}`;
      const peak = r.peakRss === null ? '-' : mib(r.peakRss);
      process.stdout.write(`${String(i).padStart(3)}  ${(names[i] as string).padEnd(w)}  ${localStamp(r.start)}  ${dur.padStart(9)}  ${peak.padStart(11)}  ${r.command.join(' ')}\n`);
    });
    return ExitCode.ok;
  },
};
