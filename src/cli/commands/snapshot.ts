/**
 * `heapy snapshot <pid> [-o file] [--gc]`: streams a heap snapshot of a running Node process to a
 * file. The file appears only when complete (written as <file>.partial, then renamed); heapy's
 * memory stays bounded because chunks go to disk as they arrive.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { snapshotToFile } from '../../capture/remote.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, duration, parseCommandArgs, usageError, wholeNumber, progressBar, DURATION_HELP } from '../args.js';
import { attachOptions, defaultSnapshotName, TARGET_OPTIONS, guardOptions, guardUsage, runAttached } from '../attached.js';
import { formatBytes, formatDuration } from '../../util/format.js';

const usage = `usage: heapy snapshot <pid | host:port | ws://...> [options]
       heapy snapshot <target> --count <n> [--interval <time>] -o <dir>

Streams a heap snapshot of a running Node process to a file (default
heapy-<pid>-<YYYYMMDD-HHMMSS>.heapsnapshot in the current directory). The file is written as
<file>.partial (mode 0600) and renamed when complete. An inspector heapy had to open is closed again.

With --count, takes N snapshots in one inspector session, --interval apart, into DIR as
heapy-<pid>-<time>-<k>.heapsnapshot: V8 keeps object ids only while a session lasts, so these files
can be compared by id (heapy diff, heapy leaks); snapshots from separate runs cannot.

Options:
  -o, --output <file>          where to write (with --count: a directory, created if missing)
      --count <n>              snapshots to take in one session (default 1)
      --interval <time>        time between them (default 30s)
      --gc                     collect garbage in the target first
      --worker <n>             snapshot worker thread n instead of the main thread
      --port <n>               inspector port to expect (default: the target's --inspect-port, or 9229)
      --timeout <time>         how long to wait for the target to answer (default 5s)
${guardUsage(31)}

${DURATION_HELP}`;

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('snapshot', argv, optionTable);
  const spec = parsed.positionals[0];
  if (!spec || parsed.positionals.length > 1) throw new HeapyError(`expected one target\n${usage}`, ExitCode.usage);
  const count = wholeNumber('--count', parsed.values.count, 1);
  const intervalMs = duration('--interval', parsed.values.interval);
  const dir = count > 1 ? parsed.values.output : undefined;
  if (count > 1) {
    if (dir === undefined) throw usageError('snapshot', '--count needs -o DIR for the files');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new HeapyError(`${dir}: cannot create (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ExitCode.writeFailed);
    }
  }
  const options = attachOptions(parsed.values);
  const guard = guardOptions(parsed.values);
  return runAttached(spec, options, async (a, ctx) => {
    let written = 0;
    for (let k = 1; k <= count && !ctx.signalled(); k++) {
      if (k > 1) await new Promise((r) => setTimeout(r, intervalMs));
      if (ctx.signalled()) break;
      const name = defaultSnapshotName(a.inspector.pid);
      const path = dir !== undefined ? join(dir, name.replace(/\.heapsnapshot$/, `-${k}.heapsnapshot`)) : (parsed.values.output ?? name);
      const p = progressBar(`snapshot ${a.inspector.pid ?? a.inspector.port}${count > 1 ? ` ${k}/${count}` : ''}`);
      const t0 = Date.now();
      let bytes: number;
      try {
        bytes = await snapshotToFile(a.session, path, { gc: parsed.values.gc, onProgress: p.onProgress, guard: { ...guard, pid: a.inspector.pid } });
      } finally {
        p.done();
      }
      written++;
      process.stdout.write(`${resolve(path)}\n`);
      process.stderr.write(`heapy: wrote ${formatBytes(bytes)} in ${formatDuration(Date.now() - t0)} from ${a.description}\n`);
    }
    // Stopped between snapshots of a series: the files written are whole, the series is not.
    return written === count ? ExitCode.ok : ctx.stoppedStatus();
  });
}

const optionTable = {
  output: { type: 'string', short: 'o' },
  gc: { type: 'boolean', default: false },
  count: { type: 'string', default: '1' },
  interval: { type: 'string', default: '30s' },
  ...TARGET_OPTIONS,
} satisfies CommandOptions;

/** The `heapy snapshot` command. */
export const command: CommandModule = {
  summary: 'stream a heap snapshot of a running Node process to a file',
  usage,
  options: optionTable,
  run,
};
