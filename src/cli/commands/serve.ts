/**
 * `heapy serve <snapshot> [--port N] [--host H --allow-remote]`: the report page served live from
 * the loaded snapshot, so any object can be opened. Ctrl-C stops it. Requests need a generated
 * token (in the printed URL, and in a 0600 file of the user's runtime directory), since any local
 * user can reach the loopback; `--insecure-no-token` serves without one.
 */
import { basename } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { assembleReport } from '../../report/build.js';
import { checkListen, isLoopback, startReportServer } from '../../report/server.js';
import { newSecret, removeSecret, serveSecretName, storeSecret } from '../../util/secrets.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, wholeNumber, progressBar } from '../args.js';
import { openInBrowser } from './report.js';

const usage = `usage: heapy serve <file.heapsnapshot> [options]

Serves the report page of a snapshot on http://127.0.0.1:<port>/?token=<secret>, backed by live
queries to the loaded heap: open any object (its references, referrers, shortest path and what it
keeps alive), expand any row of any partition and go deeper in the treemap than a static report
can. Every request needs the generated token (any local user can reach the loopback); it is in the
printed URL and in a file only you can read. Ctrl-C stops the server.

Options:
      --port <n>            port to listen on (default 0: any free port; the address is printed)
      --open                open the page in a browser (xdg-open)
      --host <addr>         interface to bind (default 127.0.0.1); anything but the loopback also
                            needs --allow-remote, since the page shows the whole heap to whoever connects
      --allow-remote        allow a non-loopback --host
      --insecure-no-token   serve without a token: every local user can then read the whole heap`;

const optionTable = {
  port: { type: 'string', default: '0' },
  host: { type: 'string', default: '127.0.0.1' },
  'allow-remote': { type: 'boolean', default: false },
  open: { type: 'boolean', default: false },
  'insecure-no-token': { type: 'boolean', default: false },
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
    const insecure = values['insecure-no-token'];
    if (insecure) process.stderr.write('heapy: warning: --insecure-no-token: every user who can reach this port can read the whole heap\n');
    const token = insecure ? null : newSecret();
    const srv = await startReportServer(snapshot, data, { host, port, allowRemote: values['allow-remote'], token });
    // Stored so that scripts of the same user can find it; another user cannot read the file.
    const tokenFile = token === null ? null : storeSecret(serveSecretName(host, srv.port), token);
    process.stdout.write(`heapy serve: ${srv.url} (Ctrl-C to stop)\n`);
    if (tokenFile !== null) process.stdout.write(`heapy serve: token in ${tokenFile}\n`);
    if (values.open) openInBrowser(srv.url);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (tokenFile !== null) removeSecret(serveSecretName(host, srv.port));
        void srv.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stdout.write('heapy serve: stopped\n');
    return ExitCode.ok;
  },
};
