/**
 * `heapy serve <snapshot> [--port N] [--host H --allow-remote]`: the report page served live from
 * the loaded snapshot, so any object can be opened. Ctrl-C stops it.
 */
import { basename } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { assembleReport } from '../../report/build.js';
import { checkListen, isLoopback, startReportServer } from '../../report/server.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, wholeNumber, progressBar } from '../args.js';
import { openInBrowser } from './report.js';

const usage = `usage: heapy serve <file.heapsnapshot> [options]

Serves the report page of a snapshot on http://127.0.0.1:<port>/, backed by live queries to the
loaded heap: open any object (its references, referrers, shortest path and what it keeps alive),
expand any row of any partition and go deeper in the treemap than a static report can.
Ctrl-C stops the server.

Options:
      --port <n>       port to listen on (default 0: any free port; the address is printed)
      --open           open the page in a browser (xdg-open)
      --host <addr>    interface to bind (default 127.0.0.1); anything but the loopback also
                       needs --allow-remote, since the page shows the whole heap to whoever connects
      --allow-remote   allow a non-loopback --host`;

const optionTable = {
  port: { type: 'string', default: '0' },
  host: { type: 'string', default: '127.0.0.1' },
  'allow-remote': { type: 'boolean', default: false },
  open: { type: 'boolean', default: false },
} satisfies CommandOptions;

/** `heapy serve`. */
export const command: CommandModule = {
  summary: 'serve the report page of a snapshot with live queries (loopback only)',
  usage,
  options: optionTable,
  async run(argv) {
    const parsed = parseCommandArgs('serve', argv, optionTable);
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new HeapyError(`serve takes one snapshot file\n${usage}`, ExitCode.usage);
    const port = wholeNumber('--port', values.port, 0, 65535);
    const host = values.host;
    if (!isLoopback(host) && !values['allow-remote']) {
      throw new HeapyError(`refusing to listen on ${host}: the page shows the whole heap to whoever connects; add --allow-remote to do it anyway`, ExitCode.unsafeListen);
    }
    const file = positionals[0]!;
    await checkListen(host, port);
    const snapshot = await loadWithProgress(file);
    const rbar = progressBar('report');
    let data;
    try {
      data = await assembleReport({ snapshots: [{ source: file, snapshot }] }, rbar.onProgress ? { onProgress: rbar.onProgress } : {});
    } finally {
      rbar.done();
    }
    if (!isLoopback(host)) process.stderr.write(`heapy: warning: listening on ${host}: anyone who can reach this address can read the whole heap\n`);
    const srv = await startReportServer(snapshot, data, { host, port, allowRemote: values['allow-remote'] });
    process.stdout.write(`heapy serve: ${srv.url} (Ctrl-C to stop)\n`);
    if (values.open) openInBrowser(srv.url);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void srv.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stdout.write('heapy serve: stopped\n');
    return ExitCode.ok;
  },
};
