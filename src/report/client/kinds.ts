/**
 * Kinds and their largest instances: a list of the kinds that come with sample objects, ordered
 * by retained size, self size or count, and the chosen kind's figures and largest instances.
 */
import type { RowData } from '../model.js';
import { formatBytes, formatCount, formatPercent } from '../../util/format.js';
import type { Page } from './context.js';
import { block, bytes, figures, h, segmented, type Section } from './dom.js';
import { instancesTable } from './objects.js';

/** What the list can be ordered by. */
type Order = 'retained' | 'size' | 'count';

const ORDERS: ReadonlyArray<readonly [Order, string]> = [
  ['retained', 'Retained'],
  ['size', 'Self size'],
  ['count', 'Count'],
];

const figure = (k: RowData, order: Order): number => (order === 'count' ? k.count : order === 'size' ? k.size : (k.retained ?? 0));

/** Arrow keys, Home and End move between the buttons of a list. */
function listKeys(list: HTMLElement, b: HTMLButtonElement, ev: KeyboardEvent): void {
  const btns = Array.from(list.querySelectorAll('button'));
  const i = btns.indexOf(b);
  const j = ev.key === 'ArrowDown' ? i + 1 : ev.key === 'ArrowUp' ? i - 1 : ev.key === 'Home' ? 0 : ev.key === 'End' ? btns.length - 1 : -2;
  if (j === -2) return;
  ev.preventDefault();
  btns[Math.max(0, Math.min(btns.length - 1, j))]?.focus();
}

/** The kinds section, or null when no kind comes with instances. */
export function kindsBlock(page: Page): Section | null {
  const p = page.data.partitions.kind;
  if (!p) return null;
  const kinds = p.rows.filter((r) => r.samples.length > 0);
  let current = kinds.slice().sort((a, b) => (b.retained ?? 0) - (a.retained ?? 0))[0];
  if (!current) return null;
  let order: Order = 'retained';
  const list = h('div', { class: 'kindlist', role: 'group', 'aria-label': 'Kinds' });
  const detail = h('div', { class: 'detail', 'aria-live': 'polite' });
  const group = segmented(
    'Order kinds by',
    ORDERS.map(([value, text]) => ({ value, text, props: { 'data-order': value } })),
    order,
    (k) => {
      order = k;
      renderList();
    },
  );
  function renderList(): void {
    const sorted = kinds.slice().sort((a, b) => figure(b, order) - figure(a, order));
    list.replaceChildren(
      ...sorted.map((k) => {
        const b = h(
          'button',
          { type: 'button', 'aria-current': k === current ? 'true' : null, 'aria-selected': k === current ? 'true' : 'false', title: k.label },
          h('span', { class: 'k' }, k.label),
          h('span', { class: 'num muted' }, order === 'count' ? formatCount(k.count) : formatBytes(figure(k, order))),
        );
        b.addEventListener('click', () => select(k, b));
        b.addEventListener('keydown', (ev) => listKeys(list, b, ev));
        return b;
      }),
    );
  }
  function select(k: RowData, btn: HTMLButtonElement): void {
    current = k;
    for (const b of list.querySelectorAll('button')) {
      const on = b === btn;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
    renderDetail(k);
  }
  function renderDetail(k: RowData): void {
    detail.replaceChildren(
      h('h3', { style: { fontSize: '19px', marginBottom: '2px' } }, k.label),
      figures([
        ['Objects', h('span', null, formatCount(k.count))],
        ['Self size', bytes(k.size)],
        ['Retained', bytes(k.retained ?? 0)],
        ['Share of heap', h('span', null, formatPercent(k.size, page.heapSize) + ' %')],
      ]),
      h('p', { class: 'muted', style: { margin: '0 0 8px', fontSize: '13px' } }, 'Its ' + k.samples.length + ' largest instances by retained size, each with its shortest path from the roots. Open one to see its references and referrers.'),
      instancesTable(page, k.samples, 'Largest instances of ' + k.label).el,
    );
  }
  renderList();
  renderDetail(current);
  const card = h('div', { class: 'card' }, h('div', { class: 'toolbar' }, h('span', { class: 'muted', style: { fontSize: '14px' } }, 'Order by'), group), h('div', { class: 'kinds' }, list, detail));
  return block('kinds', 'Kinds and their largest instances', 'Retained size counts what would be freed with the object: itself and everything only it keeps alive.', card);
}
