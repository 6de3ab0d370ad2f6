/**
 * `heapy snapshot <pid> [-o file] [--gc]`: streams a heap snapshot of a running Node process to a
 * file. The file appears only when complete (written as <file>.partial, then renamed); heapy's
 * memory stays bounded because chunks go to disk as they arrive.
 */
import { resolve } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { snapshotToFile } from '../../capture/remote.js';
import type { CommandModule } from '../main.js';
import { parseCommandArgs } from '../args.js';
import { progressBar } from '../progress.js';
import { attachOptions, defaultSnapshotName, runAttached } from '../attached.js';
import { formatBytes } from '../../util/format.js';

const usage = `usage: heapy snapshot <pid | host:port | ws://...> [-o file] [--gc] [--worker N] [--port N] [--timeout MS]

Streams a heap snapshot of a running Node process to a file (default
heapy-<pid>-<YYYYMMDD-HHMMSS>.heapsnapshot in the current directory). The file is written as
<file>.partial (mode 0600) and renamed when complete. An inspector heapy had to open is closed again.

Options:
  -o, --output FILE  where to write
  --gc               collect garbage in the target first
  --worker N         snapshot worker thread N instead of the main thread
  --port N           inspector port to expect (default: the target's --inspect-port, or 9229)
  --timeout MS       how long to wait for the target to answer (default 5000)`;

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('snapshot', argv, {
    output: { type: 'string', short: 'o' },
    gc: { type: 'boolean', default: false },
    worker: { type: 'string' },
    port: { type: 'string' },
    timeout: { type: 'string' },
  });
  const spec = parsed.positionals[0];
  if (!spec || parsed.positionals.length > 1) throw new HeapyError(`expected one target\n${usage}`, ExitCode.usage);
  const options = attachOptions(parsed.values);
  return runAttached(spec, options, async (a) => {
    const path = parsed.values.output ?? defaultSnapshotName(a.inspector.pid);
    const p = progressBar(`snapshot ${a.inspector.pid ?? a.inspector.port}`);
    const t0 = Date.now();
    let bytes: number;
    try {
      bytes = await snapshotToFile(a.session, path, { gc: parsed.values.gc, onProgress: p.onProgress });
    } finally {
      p.done();
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`${resolve(path)}\n`);
    process.stderr.write(`heapy: wrote ${formatBytes(bytes)} in ${secs} s from ${a.description}\n`);
    return ExitCode.ok;
  });
}

/** The `heapy snapshot` command. */
export const command: CommandModule = {
  summary: 'Stream a heap snapshot of a running Node process to a file',
  usage,
  run,
};
