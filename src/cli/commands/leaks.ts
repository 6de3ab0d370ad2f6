/**
 * `heapy leaks`: three-snapshot leak detection, from three .heapsnapshot files or from a live
 * process snapshotted three times at an interval (all three in one inspector session, because V8
 * keeps object ids stable only while the session lasts).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, HeapyError, type ExitCodeValue } from '../../errors.js';
import { findLeaks, renderLeaks, type LeakReport } from '../../analyses/leaks.js';
import { snapshotToFile, takeSnapshot } from '../../capture/remote.js';
import { loadSnapshotFile, type HeapSnapshot } from '../../snapshot/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, duration, wholeNumber, progressBar } from '../args.js';
import { attachOptions, TARGET_OPTIONS, guardOptions, guardUsage, runAttached } from '../attached.js';

const usage = `usage: heapy leaks <base> <target> <final> [options]
       heapy leaks --pid <pid | host:port | ws://...> [options]

Finds objects allocated between base and target that are still alive in final, keeps the ones not
inside another new object, and clusters them by kind and by the shape of their path from the roots.
For each cluster: how many leaked, the bytes they retain, the path shape, one example path (.sp),
and the holder: the nearest object on the path that already existed in base (the thing to fix).
Only clusters that kept growing after target are shown: their holders hold more of them in final
than in target (warm-up and bounded caches do not). A value replaced by a larger copy in each round
(a string built with +=, an array, Buffer or Map rebuilt) shows as a growing value: its place, and
its retained size in base, target and final. No filter to write.

Options:
      --pid <target>           snapshot a running process three times (base, target, final) instead of files;
                               a pid, host:port or ws:// URL as for 'heapy attach'
      --interval <time>        time between the live snapshots (default 30s; e.g. 500ms, 2m)
      --save <dir>             also keep the live snapshots as DIR/{base,target,final}.heapsnapshot
      --all                    also show clusters that stopped growing after target
      --top <n>                at most n clusters (default 20)
      --json                   machine-readable output
      --fail                   exit with status 40 when a growing cluster or value is found (a CI leak gate);
                               the report is printed either way
      --port <n>               inspector port to expect with --pid, as for 'heapy attach'
      --worker <n>             worker thread to snapshot with --pid, as for 'heapy attach'
      --timeout <ms>           how long to wait for the target, as for 'heapy attach'
${guardUsage(31)}`;

/** Prints the report; the exit status: leakFound with --fail when a cluster kept growing, else ok. */
function output(report: LeakReport, json: boolean, fail: boolean, extra: Record<string, unknown>): ExitCodeValue {
  process.stdout.write((json ? JSON.stringify({ ...extra, ...report }, null, 2) : renderLeaks(report)) + '\n');
  return fail && report.clusters.some((c) => c.growing) ? ExitCode.leakFound : ExitCode.ok;
}

const optionTable = {
  pid: { type: 'string' },
  interval: { type: 'string', default: '30s' },
  save: { type: 'string' },
  all: { type: 'boolean', default: false },
  top: { type: 'string', default: '20' },
  json: { type: 'boolean', default: false },
  fail: { type: 'boolean', default: false },
  ...TARGET_OPTIONS,
} satisfies CommandOptions;

/** `heapy leaks`. */
export const command: CommandModule = {
  summary: 'objects new since a base snapshot that are still held and still growing, with their holders',
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('leaks', argv, optionTable);
    const top = wholeNumber('--top', values.top, 1);
    const options = { all: values.all, limit: top };

    if (values.pid === undefined) {
      if (positionals.length !== 3) throw new HeapyError(`leaks takes three snapshot files, base target final, or --pid (see 'heapy leaks --help')`, ExitCode.usage);
      const [b, t, f] = positionals as [string, string, string];
      const base = await loadWithProgress(b);
      const target = await loadWithProgress(t);
      const final = await loadWithProgress(f);
      return output(findLeaks(base, target, final, options), values.json, values.fail, { base: b, target: t, final: f });
    }

    if (positionals.length > 0) throw new HeapyError(`leaks --pid takes no snapshot files (see 'heapy leaks --help')`, ExitCode.usage);
    const intervalMs = duration('--interval', values.interval);
    const saveDir = values.save;
    if (saveDir !== undefined) {
      try {
        mkdirSync(saveDir, { recursive: true, mode: 0o700 });
      } catch (err) {
        throw new HeapyError(`${saveDir}: cannot create (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ExitCode.writeFailed);
      }
    }
    const spec = values.pid;
    const guard = guardOptions(values);
    return runAttached(spec, attachOptions(values), async (a, ctx) => {
      let stop: (() => void) | undefined;
      const stopped = new Promise<void>((r) => (stop = r));
      ctx.onSignal(() => stop?.());
      const names = ['base', 'target', 'final'] as const;
      const snaps: HeapSnapshot[] = [];
      for (const name of names) {
        if (snaps.length > 0) {
          process.stderr.write(`heapy: next snapshot (${name}) in ${values.interval}\n`);
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, intervalMs))), stopped]);
          clearTimeout(timer);
          if (ctx.signalled()) return ctx.stoppedStatus();
        }
        const p = progressBar(`${name} snapshot`);
        try {
          if (saveDir !== undefined) {
            const file = join(saveDir, `${name}.heapsnapshot`);
            await snapshotToFile(a.session, file, { gc: true, onProgress: p.onProgress, guard: { ...guard, pid: a.inspector.pid } });
            snaps.push(await loadSnapshotFile(file));
            process.stderr.write(`heapy: ${name} snapshot of ${a.description} saved as ${resolve(file)}\n`);
          } else {
            snaps.push(await takeSnapshot(a.session, { gc: true, onProgress: p.onProgress, guard: { ...guard, pid: a.inspector.pid } }));
            process.stderr.write(`heapy: ${name} snapshot of ${a.description}: ${snaps[snaps.length - 1]!.nodeCount} objects\n`);
          }
        } finally {
          p.done();
        }
      }
      const [base, target, final] = snaps as [HeapSnapshot, HeapSnapshot, HeapSnapshot];
      return output(findLeaks(base, target, final, options), values.json, values.fail, { process: a.description, intervalMs });
    });
  },
};
