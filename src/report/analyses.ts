/**
 * The report sections that come from the analyses (src/analyses/): the diff of two snapshots, the
 * leak clusters of three, the hints, and back-reference graphs rendered to SVG. Each turns the
 * analysis' result into the report's plain data, cut to what a page shows.
 */
import { basename } from 'node:path';
import { backrefGraph, diffSets, dotToSvg, findHints, findLeaks, toDot } from '../analyses/index.js';
import { kindTable } from '../query/index.js';
import { HeapSet } from '../api/index.js';
import type { HeapSnapshot } from '../snapshot/index.js';
import { leakSites, siteLocation, sitesNote, type LeakSites, type SampledProfile } from '../analyses/leak-sites.js';
import { shortUrl } from '../monitor/alloc.js';
import type { DiffSection, GraphSection, HintSection, LeakClusterSites, LeakSection, ReportSnapshot } from './model.js';

/** A sampling heap profile given to the report (`heapy leaks --pid --save` writes one), with how it was taken. */
export interface ReportSamples {
  readonly source: string;
  readonly profile: SampledProfile;
  /** Bytes between samples; 0 when the file does not say (DevTools' own .heapprofile files). */
  readonly samplingInterval: number;
  readonly durationMs: number;
}

/** The line of the leaks section without samples. */
const SITES_HINT = "Allocation sites: run 'heapy leaks --pid <pid> --save DIR' and give DIR/sampling.heapprofile to heapy report with the three snapshots.";

/** Cluster `i`'s sites for the page. */
function pageSites(s: LeakSites, i: number): LeakClusterSites | undefined {
  const c = s.clusters[i];
  if (!c) return undefined;
  return {
    how: c.method === 'constructor' ? `new ${c.constructorName}` : 'the samples no class claimed',
    bytes: c.bytes,
    sites: c.sites.map((x) => ({ functionName: x.functionName, location: siteLocation(x, (u) => shortUrl(u)), share: x.share, bytes: x.bytes, via: x.via })),
  };
}

/** Rows of the diff kept in the page. */
const DIFF_ROWS = 300;

/** The change from `before` to `after`, by kind, with objects matched by V8 id. */
export function diffSection(before: ReportSnapshot, after: ReportSnapshot): DiffSection {
  // diffSets computes A - B: the later snapshot minus the earlier one.
  const d = diffSets(HeapSet.all(after.snapshot), HeapSet.all(before.snapshot));
  return {
    from: basename(before.source),
    to: basename(after.source),
    header: d.header,
    before: d.b,
    after: d.a,
    rows: d.rows.slice(0, DIFF_ROWS).map((r) => ({ label: r.label, count: r.count, size: r.size })),
    byId:
      d.byId === null
        ? null
        : d.byId.slice(0, DIFF_ROWS).map((r) => ({ kind: r.kind, added: r.added, deleted: r.deleted, addedSize: r.addedSize, deletedSize: r.deletedSize })),
  };
}

/** Leak clusters of three snapshots, and the final-snapshot ordinals the page should describe. */
export function leakSection(base: ReportSnapshot, target: ReportSnapshot, final: ReportSnapshot, samples?: ReportSamples): { section: LeakSection; ordinals: number[] } {
  const r = findLeaks(base.snapshot, target.snapshot, final.snapshot, { limit: 20 });
  const ordinals: number[] = [];
  const sites = samples ? leakSites(r.clusters, samples.profile, samples.samplingInterval, samples.durationMs) : undefined;
  const clusters = r.clusters.map((c, i) => {
    const s = sites ? pageSites(sites, i) : undefined;
    ordinals.push(c.holder.ordinal, c.representative.ordinal);
    return {
      type: c.type,
      kind: c.kind,
      count: c.count,
      fresh: c.fresh,
      growing: c.growing,
      retained: c.retainedSize,
      shape: c.shape,
      path: c.representative.path,
      holder: c.holder.id,
      holderKind: c.holder.kind,
      holderPath: c.holder.path,
      via: c.via,
      contents: c.contents.slice(0, 5).map((x) => ({ kind: x.kind, count: x.count, size: x.size })),
      samples: c.sampleIds.slice(0, 8),
      grew: c.value ? c.value.sizes : c.holderRetained,
      ...(s ? { sites: s } : {}),
    };
  });
  return {
    section: {
      base: basename(base.source),
      target: basename(target.source),
      final: basename(final.source),
      newInTarget: r.newInTarget,
      survivors: r.survivors,
      clusters,
      sitesNote: sites ? `${sitesNote(sites)} (${basename(samples!.source)})` : SITES_HINT,
    },
    ordinals,
  };
}

/** The hints of `snap` (collections that grew since `base` first), and the ordinals they point at. */
export function hintsSection(snap: HeapSnapshot, base?: HeapSnapshot): { hints: HintSection[]; ordinals: number[] } {
  const found = findHints(snap, null, base ? { base } : {});
  const ordinals: number[] = [];
  const hints = found.map((h) => {
    for (const o of h.objects) {
      const ord = snap.ordinalOfId(o.id);
      if (ord >= 0) ordinals.push(ord);
    }
    return {
      rule: h.rule,
      title: h.title,
      advice: h.advice,
      details: h.details.slice(0, 8),
      bytes: h.bytes,
      count: h.count,
      objects: h.objects.map((o) => o.id),
    };
  });
  return { hints, ordinals };
}

/**
 * The objects worth a back-reference graph: the representatives of the first leak clusters, then
 * the largest instance of each of the kinds that retain the most (V8's internal kinds, written in
 * parentheses or as `system / ...`, left out).
 */
export function graphStarts(snap: HeapSnapshot, kindRows: ReadonlyArray<{ label: string; retained?: number; samples: readonly number[] }>, leakOrdinals: readonly number[], max = 3): Array<{ ord: number; reason: string }> {
  const out: Array<{ ord: number; reason: string }> = [];
  const seen = new Set<number>();
  for (const ord of leakOrdinals) {
    if (out.length >= max || seen.has(ord)) continue;
    seen.add(ord);
    out.push({ ord, reason: 'a leak suspect' });
  }
  const rows = kindRows
    .filter((r) => r.samples.length > 0 && !r.label.startsWith('(') && !r.label.startsWith('system / ') && r.label !== 'Object' && !/^(properties|elements|table|internals) of /.test(r.label))
    .sort((a, b) => (b.retained ?? 0) - (a.retained ?? 0));
  for (const r of rows) {
    if (out.length >= max) break;
    const ord = snap.ordinalOfId(r.samples[0]!);
    if (ord < 0 || seen.has(ord)) continue;
    seen.add(ord);
    out.push({ ord, reason: `the largest ${r.label}` });
  }
  return out;
}

/**
 * Back-reference graphs of `starts`, rendered to SVG by `render` (Graphviz in WebAssembly). A graph
 * the renderer fails on is left out of the page: its section has no SVG and a note saying why.
 */
export async function graphSections(
  snap: HeapSnapshot,
  starts: ReadonlyArray<{ ord: number; reason: string }>,
  render: (dot: string) => Promise<string> = dotToSvg,
): Promise<GraphSection[]> {
  const kinds = kindTable(snap);
  const out: GraphSection[] = [];
  for (const { ord, reason } of starts) {
    // 25 boxes stay readable when the SVG is fitted to the page width; 40 turned into a thicket on a service heap.
    const data = backrefGraph(snap, [ord], { depth: 5, maxNodes: 25 });
    const title = `${kinds.names[kinds.kindOf[ord]!] ?? ''} @${snap.nodeId[ord]!}`;
    const section = { id: snap.nodeId[ord]!, title, reason, nodes: data.nodes.length };
    try {
      out.push({ ...section, svg: await render(toDot(data, `Who holds ${title} (${reason})`)) });
    } catch (err) {
      out.push({ ...section, svg: '', note: `This graph is left out: ${err instanceof Error ? err.message : String(err)}.` });
    }
  }
  return out;
}
