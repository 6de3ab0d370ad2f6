/** The text form of a leak report, as `heapy leaks` prints it. */
import { formatBytes, formatCount } from '../util/format.js';
import type { GrowingValueFigures, InEach, LeakCluster, LeakReport } from './leaks.js';
import { clusterSiteLines, sitesFooter, type SitesOutput } from './leak-sites.js';

/** The report as text: one block per cluster, largest first; with `sites`, where each was allocated. */
export function renderLeaks(r: LeakReport, sites?: SitesOutput): string {
  const lines: string[] = [];
  const growing = r.clusters.filter((c) => c.growing).length;
  lines.push(
    `${formatCount(r.newInTarget)} objects were new in target; ${formatCount(r.survivors)} of them are still alive in final; ` +
      `${formatCount(r.freshInFinal)} more are new since target.`,
  );
  if (r.clusters.length === 0) {
    lines.push(
      r.settled > 0
        ? `No growing leak found (${r.settled} cluster${r.settled === 1 ? '' : 's'} of survivors stopped growing after target; --all shows them).`
        : 'No leak found: nothing new since base is still held in final.',
    );
    return withSitesFooter(lines, sites);
  }
  const settledShown = r.clusters.length - growing;
  const settledNote =
    settledShown > 0 ? `, ${settledShown} that stopped growing` : r.settled > 0 ? ` (${r.settled} that stopped growing not shown; --all shows them)` : '';
  lines.push(`${growing} growing cluster${growing === 1 ? '' : 's'}${settledNote}, largest retained size first:`);
  r.clusters.forEach((c, i) => {
    lines.push('');
    if (c.value) {
      growingValueLines(lines, i, c, c.value);
      if (sites) lines.push(...clusterSiteLines(sites, i));
      return;
    }
    const fresh = c.fresh > 0 ? ` (+${formatCount(c.fresh)} since target)` : '';
    lines.push(`#${i + 1} ${c.kind}: ${formatCount(c.count)} leaked${fresh}, retaining ${formatBytes(c.retainedSize)}${c.growing ? '' : '  [settled: stopped growing after target]'}`);
    lines.push(`   path:     ${c.shape}${c.otherShapes > 0 ? `  (and ${c.otherShapes} similar path${c.otherShapes === 1 ? '' : 's'})` : ''}`);
    const others = c.holders > 1 ? ` (1 of ${formatCount(c.holders)} holders)` : '';
    lines.push(`   holder:   ${c.holder.kind === '(root)' ? 'Root' : `${c.holder.kind} @${c.holder.id}`}${others} at ${c.holder.path}`);
    lines.push(`   example:  ${c.representative.path}  ${c.representative.brief}`);
    // What grew: the holder's retained size, where there is a holder other than the root.
    const retained = c.holderRetained
      ? `the holder${c.holders > 1 ? ' shown' : ''} retains ${inEach(c.holderRetained)}`
      : `retained ${formatBytes(c.retainedSizeInTarget)} in target -> ${formatBytes(c.retainedSize)} in final`;
    lines.push(`   growth:   ${formatCount(c.held.target)} -> ${formatCount(c.held.final)} held by the holder${c.holders > 1 ? 's' : ''}; ${retained}`);
    containsLine(lines, c);
    if (sites) lines.push(...clusterSiteLines(sites, i));
  });
  return withSitesFooter(lines, sites);
}

/** The lines, then the allocation-sites paragraph after a blank line. */
function withSitesFooter(lines: string[], sites: SitesOutput | undefined): string {
  if (sites) lines.push('', sitesFooter(sites));
  return lines.join('\n');
}

/** `1.2 MiB in base -> 2.3 MiB in target -> 3.4 MiB in final`. */
function inEach(x: InEach): string {
  return `${formatBytes(x.base)} in base -> ${formatBytes(x.target)} in target -> ${formatBytes(x.final)} in final`;
}

/** The `contains:` line: the new objects inside, when there are more than the cluster's own. */
function containsLine(lines: string[], c: LeakCluster): void {
  if (c.objects <= c.count) return;
  const parts = c.contents.map((k) => `${k.kind} x${formatCount(k.count)} (${formatBytes(k.size)})`);
  lines.push(`   contains: ${formatCount(c.objects)} new objects: ${parts.join(', ')}`);
}

/** A growing value's block: the value, its place, and its size (and entries) in each snapshot. */
function growingValueLines(lines: string[], i: number, c: LeakCluster, v: GrowingValueFigures): void {
  lines.push(`#${i + 1} growing value, ${c.kind}: replaced by a larger one in each round, retaining ${formatBytes(c.retainedSize)}`);
  lines.push(`   path:     ${c.shape}`);
  lines.push(`   holder:   ${c.holder.kind} @${c.holder.id} at ${c.holder.path}`);
  const entries = v.entries ? `; ${formatCount(v.entries.base)} -> ${formatCount(v.entries.target)} -> ${formatCount(v.entries.final)} ${c.kind === 'Array' ? 'elements' : 'entries'}` : '';
  lines.push(`   growth:   retained ${inEach(v.sizes)}${entries} (ids @${v.ids.base} -> @${v.ids.target} -> @${v.ids.final})`);
  containsLine(lines, c);
}
