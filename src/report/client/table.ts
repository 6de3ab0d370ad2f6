/**
 * Tables whose rows are reachable by keyboard: one row is in the tab order; arrow keys, Home, End
 * and the Page keys move between rows; Enter or Space opens the row. Sortable headers are buttons.
 */
import { h, type Kid } from './dom.js';

/** One column: its header, how a row sorts by it (none: not sortable), and how a cell shows. */
export interface Column<Row> {
  readonly key: string;
  readonly label: string;
  /** Numeric: right-aligned, and sorted largest first on the first click. */
  readonly num?: boolean;
  readonly cls?: string;
  readonly sort?: (row: Row) => string | number;
  readonly render: (row: Row, i: number) => Kid;
}

/** What a table shows and does. */
export interface TableOptions<Row> {
  /** Accessible name of the table. */
  readonly label: string;
  readonly rows: readonly Row[];
  readonly columns: ReadonlyArray<Column<Row>>;
  readonly sort?: { readonly key: string; readonly dir: 'asc' | 'desc' };
  /** Called with the rows in display order before they are drawn (for running totals). */
  readonly decorate?: (rows: readonly Row[]) => void;
  readonly onOpen?: (row: Row, tr: HTMLTableRowElement) => void;
  /** Text of the one row shown when there are none. */
  readonly empty?: string;
}

/** A drawn table and how to change it. */
export interface DataTable<Row> {
  readonly el: HTMLTableElement;
  setRows(rows: readonly Row[]): void;
  focusFirst(): void;
}

/** Rows moved to by each key, from the focused one at `i` of `n`. */
function target(key: string, i: number, n: number): number | undefined {
  const moves: Readonly<Record<string, number>> = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: n - 1, PageDown: i + 10, PageUp: i - 10 };
  return moves[key];
}

/** Draws a keyboard table (see the module comment). */
export function dataTable<Row>(opts: TableOptions<Row>): DataTable<Row> {
  const { columns, label } = opts;
  let rows = opts.rows.slice();
  let sortKey = opts.sort ? opts.sort.key : null;
  let sortDir = opts.sort ? opts.sort.dir : 'desc';
  const table = h('table', { class: 'data', 'aria-label': label });
  const tbody = h('tbody');
  const headRow = h('tr');
  const ths = new Map<string, HTMLTableCellElement>();
  // The row object behind each drawn <tr>; the "no rows" line has none.
  const rowOf = new WeakMap<Element, Row>();
  for (const col of columns) {
    const th = h('th', { scope: 'col', class: col.num ? 'num' : null });
    if (col.sort) th.append(h('button', { type: 'button', title: 'Sort by ' + col.label, onclick: () => sortBy(col.key) }, col.label));
    else th.append(h('span', { style: { display: 'block', padding: '9px 10px' } }, col.label));
    ths.set(col.key, th);
    headRow.append(th);
  }
  table.append(h('thead', null, headRow), tbody);

  function sortBy(key: string): void {
    if (sortKey === key) sortDir = sortDir === 'desc' ? 'asc' : 'desc';
    else {
      sortKey = key;
      const col = columns.find((c) => c.key === key);
      sortDir = col && col.num ? 'desc' : 'asc';
    }
    render();
  }
  function sorted(): Row[] {
    const col = columns.find((c) => c.key === sortKey);
    const by = col?.sort;
    if (!by) return rows;
    const dir = sortDir === 'asc' ? 1 : -1;
    return rows.slice().sort((a, b) => {
      const x = by(a);
      const y = by(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
  }
  function render(): void {
    for (const [key, th] of ths) {
      if (key === sortKey) th.setAttribute('aria-sort', sortDir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const list = sorted();
    if (opts.decorate) opts.decorate(list);
    const trs = list.map((row, i) => {
      const tr = h('tr', { tabindex: i === 0 ? '0' : '-1' });
      rowOf.set(tr, row);
      for (const col of columns) tr.append(h('td', { class: [col.num ? 'num' : '', col.cls ?? ''].join(' ').trim() || null }, col.render(row, i)));
      return tr;
    });
    if (trs.length === 0) trs.push(h('tr', null, h('td', { colspan: String(columns.length), class: 'muted' }, opts.empty ?? 'No rows.')));
    tbody.replaceChildren(...trs);
  }
  const rowEls = (): HTMLTableRowElement[] => Array.from(tbody.rows).filter((tr) => rowOf.has(tr));
  function focusRow(tr: HTMLTableRowElement | undefined): void {
    if (!tr) return;
    for (const r of rowEls()) r.tabIndex = r === tr ? 0 : -1;
    tr.focus();
  }
  /** The data row an event happened in (itself, when `exact`), or null. */
  function eventRow(ev: Event, exact: boolean): HTMLTableRowElement | null {
    if (!(ev.target instanceof Element)) return null;
    const tr = ev.target.closest('tr');
    if (!tr || !rowOf.has(tr) || (exact && tr !== ev.target)) return null;
    return tr;
  }
  tbody.addEventListener('keydown', (ev) => {
    const tr = eventRow(ev, true);
    if (!tr) return;
    const all = rowEls();
    const go = target(ev.key, all.indexOf(tr), all.length);
    if (go !== undefined) {
      ev.preventDefault();
      focusRow(all[Math.max(0, Math.min(all.length - 1, go))]);
    } else if ((ev.key === 'Enter' || ev.key === ' ') && opts.onOpen) {
      ev.preventDefault();
      opts.onOpen(rowOf.get(tr)!, tr);
    }
  });
  tbody.addEventListener('focusin', (ev) => {
    const tr = eventRow(ev, true);
    if (tr) for (const r of rowEls()) r.tabIndex = r === tr ? 0 : -1;
  });
  tbody.addEventListener('click', (ev) => {
    if (ev.target instanceof Element && ev.target.closest('button, a')) return;
    const tr = eventRow(ev, false);
    if (!tr || !opts.onOpen) return;
    focusRow(tr);
    opts.onOpen(rowOf.get(tr)!, tr);
  });
  render();
  return {
    el: table,
    setRows(r) {
      rows = r.slice();
      render();
    },
    focusFirst() {
      focusRow(rowEls()[0]);
    },
  };
}
