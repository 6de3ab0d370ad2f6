/**
 * `heapy report <snapshot> [more snapshots | monitor files] [-o file.html] [--open]`: one
 * self-contained HTML page to look at a heap.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { readMonitorFile, type MonitorData } from '../../monitor/format.js';
import { assembleReport } from '../../report/build.js';
import type { ReportSamples } from '../../report/analyses.js';
import { inputKind, writeFileAtomic } from '../../report/files.js';
import { renderReportHtml } from '../../report/html.js';
import type { ReportSnapshot } from '../../report/model.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, inputName, loadWithProgress, parseCommandArgs, optionalWholeNumber, progressBar, STDIN } from '../args.js';

const usage = `usage: heapy report <file.heapsnapshot> [more snapshots | monitor .dat files...] [options]

Writes one self-contained HTML page (no network access, nothing to install) to look at a heap:
the partition table by every relation, a treemap of retained sizes, each kind's largest
instances with their shortest paths, and, when given, the changes between snapshots (two or
three, oldest first) and the memory timeline of 'heapy run' / 'heapy monitor' recordings. With
three snapshots and the sampling.heapprofile of 'heapy leaks --pid --save DIR', the leak
suspects show where they were allocated.

Options:
  -o, --output <file>   where to write (default: <last snapshot>.html in the current directory)
      --open            open the page in a browser (xdg-open), or print its path
      --title <text>    the page's title
      --rows <n>        rows kept per relation (default 300)`;

/** The first executable named `name` on PATH, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Opens `file` with xdg-open when there is one; true when a viewer was started. */
export function openInBrowser(file: string): boolean {
  const opener = onPath('xdg-open');
  if (!opener) return false;
  const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
  return true;
}

/** A .heapprofile: the sampling profile, and the interval and duration heapy leaks noted in it (0 when absent). */
function readSamples(file: string): ReportSamples {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HeapyError(`${file}: not a sampling heap profile (${err instanceof SyntaxError ? 'bad JSON' : ((err as NodeJS.ErrnoException).code ?? String(err))})`, ExitCode.badInput);
  }
  const p = data as { head?: { children?: unknown }; heapy?: { samplingInterval?: unknown; durationMs?: unknown } };
  if (typeof p.head !== 'object' || p.head === null || !Array.isArray(p.head.children)) throw new HeapyError(`${file}: not a sampling heap profile (no call tree at "head")`, ExitCode.badInput);
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return { source: file, profile: data as ReportSamples['profile'], samplingInterval: num(p.heapy?.samplingInterval), durationMs: num(p.heapy?.durationMs) };
}

const optionTable = {
  output: { type: 'string', short: 'o' },
  open: { type: 'boolean', default: false },
  title: { type: 'string' },
  rows: { type: 'string' },
} satisfies CommandOptions;

/** `heapy report`. */
export const command: CommandModule = {
  summary: 'one self-contained HTML page of a heap (tables, treemap, paths, diff, timeline)',
  usage,
  options: optionTable,
  async run(argv) {
    const parsed = parseCommandArgs('report', argv, optionTable);
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new HeapyError(`report needs a snapshot file\n${usage}`, ExitCode.usage);
    const rows = optionalWholeNumber('--rows', values.rows, 1);
    const snapFiles: string[] = [];
    const monitorFiles: string[] = [];
    const profileFiles: string[] = [];
    for (const f of positionals) {
      const kind = f === STDIN ? 'snapshot' : inputKind(f);
      (kind === 'monitor' ? monitorFiles : kind === 'profile' ? profileFiles : snapFiles).push(f);
    }
    if (profileFiles.length > 1) throw new HeapyError(`report takes one .heapprofile (the samples of heapy leaks --pid --save), not ${profileFiles.length}`, ExitCode.usage);
    if (profileFiles.length > 0 && snapFiles.length !== 3) throw new HeapyError('a .heapprofile gives the leak clusters their allocation sites: give it with three snapshots (base, target, final)', ExitCode.usage);
    const samples = profileFiles[0] !== undefined ? readSamples(profileFiles[0]) : undefined;
    if (snapFiles.length === 0) throw new HeapyError('report needs at least one .heapsnapshot file (monitor files alone: use heapy plot)', ExitCode.usage);
    if (snapFiles.length > 3) throw new HeapyError(`report takes at most three snapshots (base, target, final), not ${snapFiles.length}`, ExitCode.usage);
    const last = snapFiles[snapFiles.length - 1]!;
    const output = resolve(values.output ?? inputName(last).replace(/\.heapsnapshot$/i, '') + '.html');
    // Fail before minutes of loading, not after: the directory must exist and be writable.
    try {
      accessSync(dirname(output), constants.W_OK);
    } catch (err) {
      throw new HeapyError(`${output}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ExitCode.writeFailed);
    }
    const monitors: MonitorData[] = monitorFiles.map((f) => readMonitorFile(f));
    const snapshots: ReportSnapshot[] = [];
    for (const f of snapFiles) {
      snapshots.push({ source: f === STDIN ? inputName(f) : f, snapshot: await loadWithProgress(f) });
    }
    const bar = progressBar('report');
    let html: string;
    try {
      const data = await assembleReport(
        { snapshots, monitors, samples },
        {
          ...(values.title !== undefined ? { title: values.title } : {}),
          ...(rows !== undefined ? { rows } : {}),
          ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
        },
      );
      html = renderReportHtml(data);
    } finally {
      bar.done();
    }
    writeFileAtomic(output, html);
    const size = statSync(output).size;
    process.stdout.write(`${output} (${(size / 1048576).toFixed(1)} MiB)\n`);
    if (values.open && !openInBrowser(output)) process.stdout.write(`no xdg-open here: open ${output} in a browser\n`);
    return ExitCode.ok;
  },
};
