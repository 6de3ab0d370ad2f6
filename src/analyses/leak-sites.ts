/**
 * Where the leak clusters' objects were allocated, from V8's sampling heap profiler run between
 * the target and final snapshots (`heapy leaks --pid`). Pure: clusters and profile in, sites out,
 * plus the text lines leak-text.ts prints under each cluster.
 *
 * What V8 11.3 gives and what it does not (checked on Node 20.20): getSamplingProfile lists the
 * samples still alive, each with its call-tree node, its size (the allocation's size times V8's
 * scaling count: a 40-byte object sampled at a 1 KiB interval shows as 1040) and an ordinal (the
 * order samples were taken), but no heap object id. A snapshot taken while sampling does show each live sampled object (as a weak edge of
 * `(Global handles)`), yet nothing tells which sample is which object: the handles are recycled
 * in an order the profile does not record. So a sample cannot be tied to one object, and sites
 * are attributed to clusters by name, which this module does as follows (and the output says so):
 *
 * - a cluster whose kind (or, failing that, one of the kinds inside it) is a function with a
 *   script seen in the profile, e.g. the program's class `Session` or Node's `Timeout`, gets the
 *   samples made inside that constructor and those made directly by the function that called it
 *   (the `new Session` itself is allocated in the caller's frame, with no frame of its own), all
 *   credited to the innermost frame of the program at or above the caller: the site is where
 *   `new Session` runs, or the program's function that called `setInterval`;
 * - every other cluster (plain objects, arrays, strings, closures, constructors V8 inlined) gets
 *   the live samples no constructor claimed, each credited to the innermost frame of the program
 *   on its stack; stacks with no frame of the program are left out. Clusters that share this
 *   remainder say so.
 *
 * Figures are sampled: about one sample per `samplingInterval` bytes allocated, scaled by V8 to
 * estimate bytes. A site's position is where its function starts (V8 records functions, not
 * statements), and an inlined function counts as the function it was inlined into.
 */
import { formatBytes, formatCount, formatDuration, formatPercent } from '../util/format.js';

/** A frame of HeapProfiler.SamplingHeapProfile (CDP's Runtime.CallFrame: 0-based, -1 unknown). */
export interface SampledFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** A call-tree node of HeapProfiler.SamplingHeapProfile, as CDP sends it. */
export interface SampledNode {
  readonly callFrame: SampledFrame;
  /** Estimated bytes of the live samples allocated with exactly this stack. */
  readonly selfSize: number;
  readonly id: number;
  readonly children: readonly SampledNode[];
}

/** HeapProfiler.SamplingHeapProfile: the fields read here. */
export interface SampledProfile {
  readonly head: SampledNode;
  readonly samples?: ReadonlyArray<{ readonly nodeId: number }>;
}

/** What {@link leakSites} needs of a cluster: its kind and the kinds inside it. */
export interface SiteCluster {
  readonly kind: string;
  readonly contents?: ReadonlyArray<{ readonly kind: string }>;
}

/** One allocation site of a cluster. */
export interface LeakSite {
  /** The program's function that allocated (or called `new` on the cluster's class). */
  readonly functionName: string;
  /** Its script URL ('' for V8's own frames). */
  readonly url: string;
  /** 1-based line where the function starts; 0 when V8 did not say. */
  readonly line: number;
  /** 1-based column where the function starts; 0 when V8 did not say. */
  readonly column: number;
  /** Estimated live bytes from the samples credited to this site. */
  readonly bytes: number;
  /** bytes / the cluster's sampled bytes, 0..1. */
  readonly share: number;
  /** Live samples behind `bytes`. */
  readonly samples: number;
  /** The innermost frame of most of these bytes when it is not this function (a constructor, a Node API, a builtin). */
  readonly via: string | null;
}

/** The allocation sites of one cluster. */
export interface ClusterSites {
  /** 'constructor': samples of `new <constructor>` and inside it; 'remainder': the live samples no constructor claimed. */
  readonly method: 'constructor' | 'remainder';
  /** The class whose constructor was matched, for method 'constructor'. */
  readonly constructorName: string | null;
  /** Estimated live bytes credited to the cluster. */
  readonly bytes: number;
  /** Live samples behind them. */
  readonly samples: number;
  /** bytes / all live sampled bytes, 0..1. */
  readonly share: number;
  /** The largest sites, at most {@link MAX_SITES}. */
  readonly sites: readonly LeakSite[];
  /** Sites left out, and their bytes. */
  readonly more: { readonly sites: number; readonly bytes: number };
  /** Indexes (0-based) of the other clusters given the same samples (same constructor, or both the remainder). */
  readonly sharedWith: readonly number[];
}

/** Allocation sites of a leak report's clusters. */
export interface LeakSites {
  /** Bytes between samples, on average, as sampling was started. */
  readonly samplingInterval: number;
  /** How long sampling ran (target to final), ms. */
  readonly durationMs: number;
  /** Estimated bytes of all samples alive at the end. */
  readonly totalBytes: number;
  /** All samples alive at the end. */
  readonly totalSamples: number;
  /** One entry per cluster, in the report's order. */
  readonly clusters: readonly ClusterSites[];
}

/** Below this many live samples, shares move by whole tens of percent from one run to the next: the note says so. */
const FEW_SAMPLES = 20;

/** How many sites a cluster lists. */
export const MAX_SITES = 5;

/** Frames of the program: a script that is not one of Node's own (`node:...`) and not V8's (''). */
function isProgramFrame(f: SampledFrame): boolean {
  return f.url !== '' && !f.url.startsWith('node:');
}

/** A function name that can be a class (kinds like `Function x`, `(string)` or `Map entries` cannot be matched to a frame). */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

interface SiteAcc {
  frame: SampledFrame;
  bytes: number;
  samples: number;
  via: Map<string, number>;
}

/** Bytes credited to sites: one pool per constructor, and the remainder. */
class Pool {
  readonly sites = new Map<string, SiteAcc>();
  bytes = 0;
  samples = 0;

  add(site: SampledFrame, top: SampledFrame, bytes: number, samples: number): void {
    if (bytes <= 0) return;
    const key = `${site.functionName}\u0000${site.url}\u0000${site.lineNumber}\u0000${site.columnNumber}`;
    let acc = this.sites.get(key);
    if (!acc) this.sites.set(key, (acc = { frame: site, bytes: 0, samples: 0, via: new Map() }));
    acc.bytes += bytes;
    acc.samples += samples;
    if (top !== site) {
      const name = top.functionName || '(anonymous)';
      acc.via.set(name, (acc.via.get(name) ?? 0) + bytes);
    }
    this.bytes += bytes;
    this.samples += samples;
  }
}

/**
 * Credits the live samples of `profile` to `clusters` (see the module comment). `durationMs` is
 * how long sampling ran; `samplingInterval` what it was started with.
 */
export function leakSites(clusters: readonly SiteCluster[], profile: SampledProfile, samplingInterval: number, durationMs: number): LeakSites {
  const samplesOf = new Map<number, number>();
  for (const s of profile.samples ?? []) samplesOf.set(s.nodeId, (samplesOf.get(s.nodeId) ?? 0) + 1);
  // Functions with a script, the program's and Node's (Node's Timeout, Socket... are classes too).
  const scriptNames = new Set<string>();
  let totalBytes = 0;
  let totalSamples = 0;
  const all: SampledNode[] = [profile.head];
  for (let i = 0; i < all.length; i++) {
    const n = all[i]!;
    if (n.callFrame.url !== '' && n.callFrame.functionName) scriptNames.add(n.callFrame.functionName);
    totalBytes += n.selfSize;
    totalSamples += samplesOf.get(n.id) ?? 0;
    for (const c of n.children) all.push(c);
  }

  // Each cluster's constructor: its kind, else the largest kind inside it, that the profile has a frame of.
  const ctorOf = clusters.map((c) => [c.kind, ...(c.contents ?? []).map((k) => k.kind)].find((k) => IDENTIFIER.test(k) && scriptNames.has(k)) ?? null);
  const ctors = new Set(ctorOf.filter((k): k is string => k !== null));
  const pools = new Map<string, Pool>([...ctors].map((k) => [k, new Pool()]));
  const remainder = new Pool();

  // First the constructors' claims: below the outermost frame named after a constructor on a
  // path, everything, credited to the frame that called it; and that caller's own allocations
  // beside it (the `new` object itself, and what it allocates through builtins such as Map#set
  // growing the table that keeps the object). Then the rest, into the remainder.
  const claimed = new Set<SampledNode>();
  const claim = (node: SampledNode, pool: Pool, caller: SampledFrame, via: SampledFrame): void => {
    if (claimed.has(node)) return;
    claimed.add(node);
    pool.add(caller, via, node.selfSize, samplesOf.get(node.id) ?? 0);
    for (const c of node.children) claim(c, pool, caller, via);
  };
  const findCtors = (node: SampledNode, path: SampledNode[]): void => {
    const f = node.callFrame;
    if (f.url !== '' && ctors.has(f.functionName)) {
      const pool = pools.get(f.functionName)!;
      const parent = path.length > 1 ? path[path.length - 1]! : null;
      const caller = parent !== null ? (programFrameOf(path) ?? f) : f;
      claim(node, pool, caller, f);
      if (parent !== null && !claimed.has(parent)) {
        claimed.add(parent);
        pool.add(caller, parent.callFrame, parent.selfSize, samplesOf.get(parent.id) ?? 0);
        for (const sib of parent.children) if (sib.callFrame.url === '') claim(sib, pool, caller, parent.callFrame);
      }
      return;
    }
    path.push(node);
    for (const c of node.children) findCtors(c, path);
    path.pop();
  };
  if (ctors.size > 0) findCtors(profile.head, []);
  const intoRemainder = (node: SampledNode, path: SampledNode[]): void => {
    path.push(node);
    // Stacks with no frame of the program (Node's own timers, code heapy evaluated) name no site to fix.
    const site = programFrameOf(path);
    if (!claimed.has(node) && node.selfSize > 0 && site !== null) remainder.add(site, node.callFrame, node.selfSize, samplesOf.get(node.id) ?? 0);
    for (const c of node.children) intoRemainder(c, path);
    path.pop();
  };
  intoRemainder(profile.head, []);

  const keyOf = (i: number): string => (ctorOf[i] === null ? '\u0000remainder' : ctorOf[i]!);
  const out = clusters.map((_, i): ClusterSites => {
    const ctor = ctorOf[i] ?? null;
    const pool = ctor === null ? remainder : pools.get(ctor)!;
    const sites = [...pool.sites.values()].sort((a, b) => b.bytes - a.bytes || b.samples - a.samples);
    const shown = sites.slice(0, MAX_SITES);
    const others = sites.slice(MAX_SITES);
    const sharedWith: number[] = [];
    for (let j = 0; j < clusters.length; j++) if (j !== i && keyOf(j) === keyOf(i)) sharedWith.push(j);
    return {
      method: ctor === null ? 'remainder' : 'constructor',
      constructorName: ctor,
      bytes: pool.bytes,
      samples: pool.samples,
      share: totalBytes > 0 ? pool.bytes / totalBytes : 0,
      sites: shown.map((s) => siteOf(s, pool.bytes)),
      more: { sites: others.length, bytes: others.reduce((a, s) => a + s.bytes, 0) },
      sharedWith,
    };
  });
  return { samplingInterval, durationMs, totalBytes, totalSamples, clusters: out };
}

/** The innermost frame of the program on a path of nodes (outermost first), or null. */
function programFrameOf(path: readonly SampledNode[]): SampledFrame | null {
  for (let i = path.length - 1; i >= 0; i--) if (isProgramFrame(path[i]!.callFrame)) return path[i]!.callFrame;
  return null;
}

function siteOf(a: SiteAcc, clusterBytes: number): LeakSite {
  let via: string | null = null;
  let best = 0;
  for (const [name, b] of a.via) if (b > best) [via, best] = [name, b];
  // A `via` that is only a sliver of the site's bytes would mislead: most of it was allocated here.
  if (best * 2 < a.bytes) via = null;
  const f = a.frame;
  return {
    functionName: f.functionName || '(anonymous)',
    url: f.url,
    line: f.lineNumber >= 0 ? f.lineNumber + 1 : 0,
    column: f.columnNumber >= 0 ? f.columnNumber + 1 : 0,
    bytes: a.bytes,
    share: clusterBytes > 0 ? a.bytes / clusterBytes : 0,
    samples: a.samples,
    via,
  };
}

/** Shows a script URL as a short location (the CLI passes one relative to the working directory). */
export type UrlFormatter = (url: string) => string;

/** `file:line:column` of a site, '' for V8's own frames. */
export function siteLocation(s: LeakSite, shortUrl: UrlFormatter = (u) => u): string {
  return s.url ? `${shortUrl(s.url)}:${s.line || '?'}:${s.column || '?'}` : '';
}

/** The one-paragraph note printed above the clusters: how sites were found, and that they are estimates. */
export function sitesNote(s: LeakSites): string {
  return (
    `Allocation sites: V8's sampling heap profiler ran from target to final (` +
    // A .heapprofile from elsewhere (DevTools) does not record how it was taken.
    (s.durationMs > 0 ? `${formatDuration(s.durationMs)}, ` : '') +
    (s.samplingInterval > 0 ? `one sample per ${formatBytes(s.samplingInterval)} allocated on average; ` : '') +
    `${formatCount(s.totalSamples)} sample${s.totalSamples === 1 ? '' : 's'}, ${formatBytes(s.totalBytes)}, still alive in final). ` +
    (s.totalSamples < FEW_SAMPLES ? `That is few: a smaller --sampling-interval (e.g. 4KiB) gives firmer shares. ` : '') +
    `Sites are matched to a cluster by name, not per object (V8 does not say which object a sample is): a class's ` +
    `sites are the functions that ran 'new' on it, other clusters get the live samples no class claimed. Estimates; a ` +
    `position is where the function starts, and inlined code counts as its caller.`
  );
}

/** The `allocated:` lines of cluster `i`, indented as leak-text.ts prints a cluster. */
function siteLines(s: LeakSites, i: number, shortUrl?: UrlFormatter): string[] {
  const c = s.clusters[i];
  if (!c) return [];
  const how =
    c.method === 'constructor' ? `new ${c.constructorName}` : `samples no class claimed${c.sharedWith.length > 0 ? `, shared with ${c.sharedWith.map((j) => `#${j + 1}`).join(', ')}` : ''}`;
  const head = `   allocated: ${formatBytes(c.bytes)} sampled (${formatPercent(c.bytes, s.totalBytes)}% of all live samples; ${how})`;
  if (c.sites.length === 0) return [`${head}: none`];
  const lines = [head + ':'];
  for (const site of c.sites) {
    const loc = siteLocation(site, shortUrl);
    const via = site.via !== null ? `  (via ${site.via})` : '';
    lines.push(`     ${formatPercent(site.bytes, c.bytes).padStart(3)}%  ${site.functionName}${loc ? '  ' + loc : ''}${via}`);
  }
  if (c.more.sites > 0) lines.push(`          <${c.more.sites} more site${c.more.sites === 1 ? '' : 's'}, ${formatBytes(c.more.bytes)}>`);
  return lines;
}

/** The line printed instead of sites for snapshot files. */
export const SITES_FROM_FILES =
  "Allocation sites: not recorded in snapshot files; 'heapy leaks --pid <pid>' samples allocations between target and final and shows where each cluster was allocated.";

/** What `heapy leaks` prints about allocation sites: the sites found, or why there are none. */
export type SitesOutput = { readonly sites: LeakSites; readonly shortUrl?: UrlFormatter } | { readonly unavailable: string };

/** The paragraph printed after the clusters: how the sites were found, or why there are none. */
export function sitesFooter(o: SitesOutput): string {
  return 'sites' in o ? sitesNote(o.sites) : o.unavailable;
}

/** The `allocated:` lines of cluster `i` (none when sites are unavailable). */
export function clusterSiteLines(o: SitesOutput, i: number): string[] {
  return 'sites' in o ? siteLines(o.sites, i, o.shortUrl) : [];
}
