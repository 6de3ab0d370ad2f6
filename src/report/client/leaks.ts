/**
 * Leak suspects: objects created between the first two snapshots and still alive in the last,
 * grouped by kind and retainer path, each cluster with its holder, path shape and members.
 */
import type { LeakCluster, LeakClusterSites } from '../model.js';
import { formatBytes, formatCount, formatPercent } from '../../util/format.js';
import type { Page } from './context.js';
import { block, bytes, figures, h, type Section } from './dom.js';
import { idChip, openObject } from './objects.js';

/** "Allocated at": the sampled sites of a cluster, largest share first. */
function sitesList(s: LeakClusterSites): HTMLElement {
  return h(
    'div',
    { class: 'leak-sites', style: { margin: '6px 0', fontSize: '13px' } },
    h('p', { style: { margin: '0 0 2px' } }, 'Allocated at (sampled, ' + formatBytes(s.bytes) + ' from ' + s.how + '):'),
    s.sites.length === 0
      ? h('p', { class: 'muted', style: { margin: '0' } }, 'no sampled allocation')
      : h(
          'ul',
          { style: { margin: '0', paddingLeft: '18px' } },
          s.sites.map((x) =>
            h('li', null, h('b', null, formatPercent(x.share, 1) + '%'), ' ', h('code', null, x.functionName), x.location ? [' ', h('span', { class: 'muted' }, x.location)] : null, x.via ? ' (via ' + x.via + ')' : null),
          ),
        ),
  );
}

function cluster(page: Page, c: LeakCluster): HTMLElement {
  const id = c.holder;
  const holder =
    id === null || id === 0
      ? null
      : page.objects.canOpen(id)
        ? h('button', { type: 'button', class: 'link', onclick: () => openObject(page, id) }, c.holderKind + ' @' + id)
        : h('span', null, c.holderKind + ' @' + id);
  return h(
    'article',
    { class: 'cluster' },
    h(
      'div',
      { class: 'cluster-head' },
      h('h3', null, c.type === 'growing value' ? 'Growing value, ' + c.kind : formatCount(c.count) + ' × ' + c.kind),
      h('span', { class: 'badge' + (c.growing ? ' grow' : '') }, c.type === 'growing value' ? 'replaced by a larger one' : c.growing ? 'still growing' : 'stopped growing'),
    ),
    figures([
      ['Retained', bytes(c.retained)],
      c.type === 'growing value' ? null : ['New since the second snapshot', h('span', null, formatCount(c.fresh))],
      // What grew: the value itself, or the holder of the objects.
      c.grew ? [c.type === 'growing value' ? 'Grew' : 'Holder grew', h('span', null, [c.grew.base, c.grew.target, c.grew.final].map((n) => formatBytes(n)).join(' → '))] : null,
    ]),
    holder ? h('p', { style: { margin: '2px 0 6px' } }, 'Held by ', holder, c.via ? [' through ', h('code', null, c.via)] : null) : null,
    h('pre', { class: 'pathtext', title: 'One of them: ' + c.path }, c.shape),
    c.contents.length > 0
      ? h('p', { class: 'muted', style: { margin: '6px 0', fontSize: '13px' } }, 'Keeps alive: ' + c.contents.map((x) => formatCount(x.count) + ' ' + x.kind + ' (' + formatBytes(x.size) + ')').join(', '))
      : null,
    c.sites ? sitesList(c.sites) : null,
    c.samples.length > 0
      ? h(
          'div',
          { class: 'chips', style: { marginTop: '8px' } },
          c.samples.slice(0, 8).map((m) => idChip(page, m)),
        )
      : null,
  );
}

/** The leaks section, or null when the report has no three snapshots to compare. */
export function leaksBlock(page: Page): Section | null {
  const l = page.data.leaks;
  if (!l) return null;
  const card = h('div', { class: 'card' });
  card.append(h('div', { class: 'toolbar muted' }, formatCount(l.newInTarget) + ' objects were created between ' + l.base + ' and ' + l.target + '; ' + formatCount(l.survivors) + ' of them are still alive in ' + l.final + '.'));
  if (l.clusters.length === 0) card.append(h('p', { class: 'cluster' }, 'No objects created between the first two snapshots are still alive in the last one in a group worth reporting.'));
  for (const c of l.clusters) card.append(cluster(page, c));
  if (l.sitesNote) card.append(h('p', { class: 'muted leak-sites-note', style: { margin: '8px 0 0', fontSize: '12px' } }, l.sitesNote));
  return block('leaks', 'Leak suspects', 'Objects created between ' + l.base + ' and ' + l.target + ' that are still alive in ' + l.final + ', grouped by kind and retainer path.', card);
}
