/**
 * `heapy leaks`: three-snapshot leak detection, from three .heapsnapshot files or from a live
 * process snapshotted three times at an interval (all three in one inspector session, because V8
 * keeps object ids stable only while the session lasts).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, HeapyError, type ExitCodeValue } from '../../errors.js';
import { findLeaks, renderLeaks, type LeakReport } from '../../analyses/leaks.js';
import { leakSites, SITES_FROM_FILES, type SitesOutput } from '../../analyses/leak-sites.js';
import { shortUrl } from '../../monitor/alloc.js';
import { SAMPLING_FILE } from '../../report/files.js';
import { startLeakSampling, type LeakSampling } from '../../monitor/leak-sampling.js';
import type { CdpSession } from '../../attach/cdp.js';
import type { SamplingProfile } from '../../monitor/alloc.js';
import { writeOutputFile } from '../output.js';
import { snapshotToFile, takeSnapshot } from '../../capture/remote.js';
import { loadSnapshotFile, type HeapSnapshot } from '../../snapshot/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, duration, size, wholeNumber, progressBar, DURATION_HELP } from '../args.js';
import { attachOptions, TARGET_OPTIONS, guardOptions, guardUsage, runAttached } from '../attached.js';
import { printJson } from '../json.js';

// V8's own default, as for heapy alloc: over a 30 s interval, a leak of 1 MiB gets about 32 samples.
const DEFAULT_SAMPLING = '32KiB';

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

With --pid, V8's sampling heap profiler runs from the target snapshot to the final one, and each
cluster also shows where its objects were allocated: functions with file:line:column and their
share of the sampled bytes (an estimate; the output says how samples were matched to clusters).

Options:
      --pid <target>           snapshot a running process three times (base, target, final) instead of files;
                               a pid, host:port or ws:// URL as for 'heapy attach'
      --interval <time>        time between the live snapshots (default 30s)
      --save <dir>             also keep the live snapshots as DIR/{base,target,final}.heapsnapshot,
                               and the allocation samples as DIR/sampling.heapprofile
      --sampling-interval <n>  with --pid: bytes allocated between samples, on average, for the
                               allocation sites (default ${DEFAULT_SAMPLING}, V8's own; e.g. 4KiB finds smaller
                               leaks and costs the target more)
      --all                    also show clusters that stopped growing after target
      --top <n>                at most n clusters (default 20)
      --json                   machine-readable output
      --fail                   exit with status 40 when a growing cluster or value is found (a CI leak gate);
                               the report is printed either way
      --port <n>               inspector port to expect with --pid, as for 'heapy attach'
      --worker <n>             worker thread to snapshot with --pid, as for 'heapy attach'
      --timeout <time>         how long to wait for the target, as for 'heapy attach'
${guardUsage(31)}

${DURATION_HELP}`;

/** Prints the report; the exit status: leakFound with --fail when a cluster kept growing, else ok. */
function output(report: LeakReport, json: boolean, fail: boolean, extra: Record<string, unknown>, sites: SitesOutput): ExitCodeValue {
  if (json) printJson('leaks', { ...extra, ...sitesJson(report, sites) });
  else process.stdout.write(renderLeaks(report, sites) + '\n');
  return fail && report.clusters.some((c) => c.growing) ? ExitCode.leakFound : ExitCode.ok;
}

/** The report for --json: each cluster with its `allocationSites`, and how they were found (or why not) beside. */
function sitesJson(report: LeakReport, sites: SitesOutput): Record<string, unknown> {
  if (!('sites' in sites)) return { ...report, allocationSites: { unavailable: sites.unavailable } };
  const { clusters, ...about } = sites.sites;
  return {
    ...report,
    clusters: report.clusters.map((c, i) => ({ ...c, allocationSites: clusters[i] })),
    allocationSites: { ...about, method: 'sampled; a class by the callers of its constructor, other clusters by the live samples no class claimed' },
  };
}

/** What sampling from target to final gave: the profile, or why there is none. */
type Sampled = { readonly profile: SamplingProfile; readonly samplingInterval: number; readonly durationMs: number } | { readonly unavailable: string };

/**
 * Runs `take` (the final snapshot's wait and capture) with V8's sampling heap profiler on, then
 * reads the samples still alive and stops it, on every path out (errors and signals included).
 * A status from `take` (a signal stopped it) is passed on, with no profile.
 */
async function sampleAround(session: CdpSession, samplingInterval: number, onSignal: (h: () => void) => void, take: () => Promise<number | undefined>): Promise<number | Sampled> {
  // The sites are an addition to the leak report: when sampling fails, the report still comes, with the reason.
  const failed = (what: string, err: unknown): string => `${what} (${err instanceof Error ? err.message : String(err)})`;
  const sampling: LeakSampling | string = await startLeakSampling(session, samplingInterval).catch((err: unknown) => failed('the sampling heap profiler did not start', err));
  if (typeof sampling === 'string') return (await take()) ?? { unavailable: `Allocation sites: none; ${sampling}.` };
  onSignal(() => void sampling.stop());
  try {
    const status = await take();
    if (status !== undefined) return status;
    try {
      const profile = await sampling.profile();
      return { profile, samplingInterval, durationMs: Date.now() - sampling.startedAt };
    } catch (err) {
      return { unavailable: `Allocation sites: none; ${failed('reading the samples failed', err)}.` };
    }
  } finally {
    await sampling.stop();
  }
}

/** The sites of `report`'s clusters from what sampling gave. */
function sitesOf(report: LeakReport, sampled: Sampled): SitesOutput {
  if ('unavailable' in sampled) return sampled;
  return { sites: leakSites(report.clusters, sampled.profile, sampled.samplingInterval, sampled.durationMs), shortUrl: (u) => shortUrl(u) };
}

const optionTable = {
  pid: { type: 'string' },
  interval: { type: 'string', default: '30s' },
  'sampling-interval': { type: 'string' },
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
      if (values['sampling-interval'] !== undefined) throw new HeapyError(`--sampling-interval samples a live process: it needs --pid (see 'heapy leaks --help')`, ExitCode.usage);
      const [b, t, f] = positionals as [string, string, string];
      const base = await loadWithProgress(b);
      const target = await loadWithProgress(t);
      const final = await loadWithProgress(f);
      return output(findLeaks(base, target, final, options), values.json, values.fail, { base: b, target: t, final: f }, { unavailable: SITES_FROM_FILES });
    }

    if (positionals.length > 0) throw new HeapyError(`leaks --pid takes no snapshot files (see 'heapy leaks --help')`, ExitCode.usage);
    const intervalMs = duration('--interval', values.interval);
    const samplingInterval = size('--sampling-interval', values['sampling-interval'] ?? DEFAULT_SAMPLING);
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
      const snaps: HeapSnapshot[] = [];
      // One snapshot after the interval (none before base); a status when a signal stopped the wait.
      const step = async (name: 'base' | 'target' | 'final'): Promise<number | undefined> => {
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
        return undefined;
      };
      for (const name of ['base', 'target'] as const) {
        const status = await step(name);
        if (status !== undefined) return status;
      }
      // Sampling from target to final: what the final snapshot finds new was allocated meanwhile.
      const sampled = await sampleAround(a.session, samplingInterval, ctx.onSignal, () => step('final'));
      if (typeof sampled === 'number') return sampled;
      if (ctx.signalled()) return ctx.stoppedStatus();
      if (saveDir !== undefined && 'profile' in sampled) {
        // DevTools' Memory panel opens this file; heapy report takes it beside the three snapshots.
        const file = join(saveDir, SAMPLING_FILE);
        writeOutputFile(file, JSON.stringify({ ...sampled.profile, heapy: { samplingInterval, durationMs: sampled.durationMs } }));
        process.stderr.write(`heapy: allocation samples saved as ${resolve(file)}\n`);
      }
      const [base, target, final] = snaps as [HeapSnapshot, HeapSnapshot, HeapSnapshot];
      const report = findLeaks(base, target, final, options);
      const sites = sitesOf(report, sampled);
      return output(report, values.json, values.fail, { process: a.description, intervalMs }, sites);
    });
  },
};
