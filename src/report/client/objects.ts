/**
 * Single objects in the page: their one-line label, their shortest path from the roots, the
 * panel view with references, referrers and (live) what they keep alive, and the tables of a
 * row's or kind's largest objects.
 */
import type { EdgeItem, EdgePage, ObjectDetail, ObjectRef, PathHop } from '../model.js';
import { formatBytes, formatCount } from '../../util/format.js';
import type { Page } from './context.js';
import { bytes, errorText, figures, h } from './dom.js';
import { fetchDominated, fetchEdges, type EdgeDirection } from './live.js';
import { dataTable, type Column, type DataTable } from './table.js';

/** What a path view needs of an object: its hops from the roots and its distance. */
interface Pathed {
  readonly distance: number;
  readonly hops: readonly PathHop[];
}

/** Kind, preview and `@id` of an object, as every table and tile names it. */
function objectLabel(ref: Pick<ObjectRef, 'id' | 'kind' | 'preview'>, withId = true): HTMLSpanElement {
  return h(
    'span',
    null,
    h('span', { class: 'kindname' }, ref.kind || '?'),
    ref.preview ? [' ', h('span', { class: 'preview' }, ref.preview)] : null,
    withId ? [' ', h('span', { class: 'idtag' }, '@' + ref.id)] : null,
  );
}

/** The shortest path as text a developer can paste; each object on it opens when clicked. */
export function pathView(page: Page, o: Pathed): HTMLDivElement {
  if (o.hops.length === 0) return h('div', { class: 'path muted' }, o.distance < 0 ? 'No strong path from the roots (held only by weak references).' : 'Root');
  const box = h('div', { class: 'path', 'aria-label': 'Shortest path from the roots' });
  box.append(h('span', { class: 'hop root' }, 'Root'));
  o.hops.forEach((hop, i) => {
    const last = i === o.hops.length - 1;
    if (!hop.step) return;
    const title = hop.kind + ' @' + hop.id;
    if (!last && page.objects.canOpen(hop.id)) box.append(h('button', { type: 'button', class: 'hop', title: 'Open ' + title, onclick: () => openObject(page, hop.id) }, hop.step));
    else box.append(h('span', { class: 'hop' + (last ? ' target' : ''), title }, hop.step));
  });
  return box;
}

/** An object's label that opens it when it can be opened. */
function objectButton(page: Page, ref: ObjectRef): HTMLElement {
  if (!page.objects.canOpen(ref.id)) return objectLabel(ref);
  return h('button', { type: 'button', class: 'link', onclick: () => openObject(page, ref.id) }, objectLabel(ref));
}

/** A small `@id` tag (with its kind when known) that opens the object when it can be opened. */
export function idChip(page: Page, id: number, text = '@' + id): HTMLElement {
  return page.objects.canOpen(id) ? h('button', { type: 'button', class: 'chip', onclick: () => openObject(page, id) }, text) : h('span', { class: 'chip' }, '@' + id);
}

/** Shows object `id` in the panel (fetching it under `heapy serve`). */
export function openObject(page: Page, id: number): void {
  page.inspector.open({
    title: 'Object @' + id,
    render: async () => {
      const o = await page.objects.load(id);
      if (!o) {
        return h('div', null, h('p', null, 'Object @' + id + ' is not in this report.'), h('p', { class: 'muted' }, 'The report holds the largest objects only. Run heapy serve on the snapshot to open any object.'));
      }
      page.inspector.retitle(o.kind + ' @' + o.id);
      return objectView(page, o);
    },
  });
}

function objectView(page: Page, o: ObjectDetail): HTMLDivElement {
  const box = h('div', { class: 'object' });
  box.append(
    h('p', { style: { margin: '0 0 6px', fontSize: '16px' } }, objectLabel(o)),
    figures([
      ['Retained', bytes(o.retained)],
      ['Self', bytes(o.self)],
      ['Type', h('span', null, o.type)],
      ['Distance', h('span', null, o.distance < 0 ? 'unreachable' : String(o.distance))],
    ]),
  );
  if (o.dominator) box.append(h('p', { class: 'muted', style: { margin: '0 0 4px' } }, 'Kept alive by ', objectButton(page, o.dominator), ' (its immediate dominator).'));
  box.append(h('section', null, h('h3', null, 'Shortest path from the roots'), pathView(page, o)));
  if (o.edges) box.append(edgeSection(page, 'References', 'edges', o, o.edges));
  if (o.retainers) box.append(edgeSection(page, 'Referrers', 'retainers', o, o.retainers));
  if (page.live) box.append(keepsAlive(page, o));
  return box;
}

/** Under `heapy serve`: a button that asks the dominator tree what the object keeps alive. */
function keepsAlive(page: Page, o: ObjectDetail): HTMLElement {
  const holder = h('section', null, h('h3', null, 'Keeps alive'));
  const btn = h('button', { type: 'button', class: 'plain' }, 'Show the objects it keeps alive');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const r = await fetchDominated(o.id, 50);
      const t = dataTable({
        label: 'Objects kept alive by @' + o.id,
        rows: r.items,
        columns: [
          { key: 'obj', label: 'Object', render: (x) => h('span', null, x.label ? h('code', null, x.label + ' ') : null, objectLabel(x)) },
          retainedColumn(),
        ],
        onOpen: (x) => openObject(page, x.id),
        empty: 'It keeps nothing else alive.',
      });
      btn.replaceWith(t.el, h('div', { class: 'table-foot' }, formatCount(r.total) + ' objects, ' + formatBytes(r.totalSize) + ' retained together'));
    } catch (err) {
      btn.replaceWith(h('p', { class: 'error' }, errorText(err)));
    }
  });
  holder.append(btn);
  return holder;
}

function edgeSection(page: Page, title: string, which: EdgeDirection, o: ObjectDetail, first: EdgePage): HTMLElement {
  const sec = h('section', null, h('h3', null, title + ' (' + formatCount(first.total) + ')'));
  let items: readonly EdgeItem[] = first.items;
  const t = dataTable<EdgeItem>({
    label: title + ' of @' + o.id,
    rows: items,
    columns: [
      { key: 'step', label: which === 'edges' ? 'Edge' : 'Via', sort: (x) => x.step, render: (x) => h('code', null, x.step || '(table)') },
      { key: 'obj', label: 'Object', render: (x) => objectLabel(x.object) },
      { key: 'retained', label: 'Retained', num: true, sort: (x) => x.object.retained, render: (x) => bytes(x.object.retained) },
    ],
    onOpen: (x) => {
      if (page.objects.canOpen(x.object.id)) openObject(page, x.object.id);
    },
    empty: which === 'edges' ? 'No outgoing references.' : 'No referrers.',
  });
  sec.append(t.el);
  const foot = h('div', { class: 'table-foot' });
  const update = (): void => {
    foot.replaceChildren('Showing ' + formatCount(items.length) + ' of ' + formatCount(first.total) + ', largest first.');
    if (page.live && items.length < first.total) {
      const more = h('button', { type: 'button', class: 'plain', style: { marginLeft: '10px' } }, 'Show more');
      more.addEventListener('click', async () => {
        more.disabled = true;
        const next = await fetchEdges(which, o.id, items.length, 50);
        items = items.concat(next.items);
        t.setRows(items);
        update();
      });
      foot.append(more);
    }
  };
  update();
  sec.append(foot);
  return sec;
}

/** The retained-size column of object tables: numeric, sortable. */
export function retainedColumn<Row extends { readonly retained: number }>(): Column<Row> {
  return { key: 'retained', label: 'Retained', num: true, sort: (o) => o.retained, render: (o) => bytes(o.retained) };
}

/** The column of an object with its shortest path under it (for the narrow panel). */
export function pathedObjectColumn<Row extends ObjectRef & Pathed>(page: Page): Column<Row> {
  return { key: 'obj', label: 'Object and its shortest path', cls: 'label', render: (o) => [h('div', null, objectLabel(o)), pathView(page, o)] };
}

/** The largest objects of a row or kind: sizes and shortest path (under the object when `stacked`, for the panel). */
export function instancesTable(page: Page, ids: readonly number[], label: string, stacked = false): DataTable<ObjectDetail> {
  const list = ids.map((id) => page.objects.get(id)).filter((o): o is ObjectDetail => o !== undefined);
  const self: Column<ObjectDetail> = { key: 'self', label: 'Self', num: true, sort: (o) => o.self, render: (o) => bytes(o.self) };
  const columns: Array<Column<ObjectDetail>> = stacked
    ? [pathedObjectColumn(page), retainedColumn(), self]
    : [{ key: 'obj', label: 'Object', render: (o) => objectLabel(o) }, retainedColumn(), self, { key: 'path', label: 'Shortest path', cls: 'label', render: (o) => pathView(page, o) }];
  return dataTable({
    label,
    rows: list,
    columns,
    onOpen: (o) => openObject(page, o.id),
    empty: 'No objects listed for this row.',
  });
}
