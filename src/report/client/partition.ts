/**
 * The partition table: the reachable heap grouped by one relation at a time, as guppy prints it
 * (count, size, cumulative size and their shares), filterable and sortable; a row opens in the panel
 * with its largest objects, and under `heapy serve` with the row partitioned again by kind.
 */
import type { PartitionData, RowData } from '../model.js';
import { formatBytes, formatCount, formatPercent } from '../../util/format.js';
import type { Page } from './context.js';
import { block, bytes, errorText, exactBytes, figures, h, segmented, type Section } from './dom.js';
import { fetchRow } from './live.js';
import { instancesTable, openObject, pathedObjectColumn, retainedColumn } from './objects.js';
import { dataTable, type Column, type DataTable } from './table.js';

/** A row with its place in the partition and, once drawn, the running total up to it in display order. */
interface ShownRow extends RowData {
  readonly index: number;
  cum: number;
}

function indexedRows(p: PartitionData): ShownRow[] {
  return p.rows.map((r, index) => ({ ...r, index, cum: 0 }));
}

function columnsFor(rel: string, p: PartitionData): Array<Column<ShownRow>> {
  const top = p.rows[0]?.size || 1;
  const columns: Array<Column<ShownRow>> = [
    { key: 'index', label: '#', num: true, sort: (r) => r.index, render: (r) => String(r.index) },
    { key: 'count', label: 'Count', num: true, sort: (r) => r.count, render: (r) => formatCount(r.count) },
    { key: 'countPct', label: '%', num: true, cls: 'pct', render: (r) => formatPercent(r.count, p.count) },
    {
      key: 'size',
      label: 'Size',
      num: true,
      sort: (r) => r.size,
      cls: 'sizebar',
      render: (r) => [bytes(r.size), h('span', { class: 'bar', style: { width: Math.max(1, (100 * r.size) / top) * 0.9 + '%' }, 'aria-hidden': 'true' })],
    },
    { key: 'sizePct', label: '%', num: true, cls: 'pct', render: (r) => formatPercent(r.size, p.size) },
    { key: 'cum', label: 'Cumulative', num: true, render: (r) => bytes(r.cum) },
    { key: 'cumPct', label: '%', num: true, cls: 'pct', render: (r) => formatPercent(r.cum, p.size) },
  ];
  if (rel === 'kind') columns.push({ key: 'retained', label: 'Retained', num: true, sort: (r) => r.retained ?? 0, render: (r) => bytes(r.retained ?? 0) });
  columns.push({
    key: 'label',
    label: p.header,
    cls: 'label',
    sort: (r) => r.label.toLowerCase(),
    render: (r) => (rel === 'kind' ? h('span', { class: 'kindname' }, r.label) : h('span', { class: rel === 'size' ? null : 'mono' }, r.label || '(none)')),
  });
  return columns;
}

/** The partition section, or null when the report has no partition. */
export function partitionBlock(page: Page): Section | null {
  const { partitions } = page.data;
  const rels = page.data.relations.filter((r) => partitions[r]);
  let rel = rels[0];
  if (rel === undefined) return null;
  let filter = '';
  const group = segmented(
    'Partition by',
    rels.map((r) => ({ value: r, text: r, props: { 'data-relation': r } })),
    rel,
    (r) => {
      rel = r;
      show();
    },
  );
  const input = h('input', { type: 'search', id: 'row-filter', placeholder: 'Filter rows by name', 'aria-label': 'Filter rows by name' });
  const counter = h('span', { class: 'muted', 'aria-live': 'polite', style: { fontSize: '13px' } });
  const scope = h('div', { class: 'scope-note', hidden: true });
  const wrap = h('div', { class: 'table-wrap' });
  const foot = h('div', { class: 'table-foot' });
  let table: DataTable<ShownRow> | undefined;
  input.addEventListener('input', () => {
    filter = input.value.trim().toLowerCase();
    show();
  });
  function show(): void {
    const name = rel!;
    const p = partitions[name]!;
    const all = indexedRows(p);
    const rows = filter ? all.filter((r) => r.label.toLowerCase().includes(filter)) : all;
    const t = dataTable({
      label: 'Partition by ' + name,
      rows,
      columns: columnsFor(name, p),
      sort: { key: 'index', dir: 'asc' },
      decorate: (list) => {
        let c = 0;
        for (const r of list) r.cum = c += r.size;
      },
      onOpen: (r) => openRow(page, name, r),
    });
    if (table) table.el.replaceWith(t.el);
    else wrap.append(t.el);
    table = t;
    counter.textContent = (filter ? formatCount(rows.length) + ' of ' : '') + formatCount(p.rows.length) + ' rows shown';
    if (p.scope) {
      scope.hidden = false;
      scope.textContent = 'Computed over ' + p.scope + '.';
    } else scope.hidden = true;
    foot.replaceChildren(
      'Partition of a set of ' + formatCount(p.count) + ' objects, ' + formatBytes(p.size) + ' (' + exactBytes(p.size) + '). ',
      p.totalRows > p.rows.length ? formatCount(p.totalRows - p.rows.length) + ' smaller rows (' + formatCount(p.restCount) + ' objects, ' + formatBytes(p.restSize) + ') are not listed. ' : '',
      'Enter or click opens a row.',
    );
  }
  show();
  const card = h('div', { class: 'card' }, h('div', { class: 'toolbar' }, group, input, counter), scope, wrap, foot);
  return block('partition', 'Partition', 'The reachable heap grouped by a relation, largest first, as guppy prints it. Choose a relation; sort by any column; open a row to see its largest objects and their paths.', card);
}

/** Shows row `row` of the partition by `rel` in the panel. */
function openRow(page: Page, rel: string, row: ShownRow): void {
  const p = page.data.partitions[rel]!;
  const isKind = rel === 'kind';
  page.inspector.open({
    title: (isKind ? '' : p.header.replace(/:$/, '') + ': ') + (row.label || '(empty)'),
    render: () => {
      const box = h('div', null);
      box.append(
        figures([
          ['Objects', h('span', null, formatCount(row.count))],
          ['Size', bytes(row.size)],
          ['Share', h('span', null, formatPercent(row.size, p.size) + ' %')],
          row.retained !== undefined ? ['Retained', bytes(row.retained)] : null,
        ]),
      );
      if (row.samples.length > 0) {
        box.append(h('section', null, h('h3', null, 'Largest ' + (isKind ? 'instances' : 'objects') + ' by retained size'), instancesTable(page, row.samples, 'Largest objects of ' + row.label, true).el));
      } else if (!page.live) {
        box.append(h('p', { class: 'muted' }, 'The report lists objects for the largest rows only; heapy serve opens every row.'));
      }
      if (page.live) box.append(liveRow(page, rel, row.index));
      return box;
    },
  });
}

/** Under `heapy serve`: the row partitioned by kind and its largest objects, fetched. */
function liveRow(page: Page, rel: string, index: number): HTMLElement {
  const live = h('section', null, h('h3', null, 'This row, by kind'), h('p', { class: 'loading' }, 'Loading…'));
  fetchRow(rel, index).then(
    (r) => {
      const t = dataTable({
        label: 'Row ' + index + ' by kind',
        rows: r.byKind,
        sort: { key: 'size', dir: 'desc' },
        columns: [
          { key: 'label', label: 'Kind', sort: (x) => x.label, render: (x) => h('span', { class: 'kindname' }, x.label) },
          { key: 'count', label: 'Count', num: true, sort: (x) => x.count, render: (x) => formatCount(x.count) },
          { key: 'size', label: 'Size', num: true, sort: (x) => x.size, render: (x) => bytes(x.size) },
        ],
      });
      const more = dataTable({
        label: 'Largest objects of row ' + index,
        rows: r.largest,
        columns: [pathedObjectColumn(page), retainedColumn()],
        onOpen: (o) => openObject(page, o.id),
      });
      live.replaceChildren(h('h3', null, 'This row, by kind'), t.el, h('h3', { style: { marginTop: '18px' } }, 'Its ' + r.largest.length + ' largest objects'), more.el);
    },
    (err: unknown) => live.replaceChildren(h('p', { class: 'error' }, errorText(err))),
  );
  return live;
}
