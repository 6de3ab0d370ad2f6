/**
 * The page's head: title, what it was made from and when, and the four or five figures a reader
 * wants first (reachable heap, snapshot size, largest kind, largest holder, peak RSS).
 */
import { formatBytes, formatCount } from '../../util/format.js';
import type { Page } from './context.js';
import { bytes, h } from './dom.js';

/** One headline figure: label, value, and a note under it. */
type Stat = readonly [string, Node, string];

function peakRss(page: Page): number {
  let peak = 0;
  for (const tl of page.data.timelines ?? []) for (const s of tl.series) if (s.metric === 'rss' && s.peak > peak) peak = s.peak;
  return peak;
}

/** The masthead element. */
export function masthead(page: Page): HTMLElement {
  const { data, main } = page;
  const snaps = data.snapshots;
  const top = data.partitions.kind?.rows[0];
  const biggest = data.tree?.children?.find((c) => c.id !== 0);
  const stats: Stat[] = [
    ['Reachable heap', bytes(main.reachableSize), formatCount(main.reachableCount) + ' objects'],
    ['Snapshot', h('span', null, formatCount(main.nodes)), 'nodes · ' + formatCount(main.edges) + ' edges'],
  ];
  if (top) stats.push(['Largest kind', h('span', { title: top.label }, formatBytes(top.size)), top.label + ' · ' + formatCount(top.count) + ' objects']);
  if (biggest) stats.push(['Largest holder', bytes(biggest.retained), (biggest.label ? biggest.label + ' ' : '') + biggest.kind]);
  const peak = peakRss(page);
  if (peak > 0) stats.push(['Peak RSS', bytes(peak), 'from the monitor recording']);
  const sub = snaps.length > 1 ? snaps.length + ' snapshots: ' + snaps.map((s) => s.name).join(' → ') : main.source;
  return h(
    'header',
    { class: 'masthead' },
    h(
      'div',
      { class: 'masthead-inner' },
      h('div', { class: 'brand' }, h('b', null, 'heapy'), ' heap report'),
      h('h1', null, data.title),
      h('p', { class: 'subtitle' }, sub, ' · generated ', new Date(data.generated).toLocaleString(), page.live ? ' · live' : ''),
      h(
        'div',
        { class: 'stats' },
        stats.map(([label, value, note]) => h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), h('div', { class: 'note', title: note }, note))),
      ),
    ),
  );
}
