/**
 * What changed between two snapshots, by kind: the change in count and size, and, where objects
 * were matched by V8 id, how many are new and how many were freed.
 */
import type { DiffSection } from '../model.js';
import { formatCount } from '../../util/format.js';
import type { Page } from './context.js';
import { block, bytes, figures, h, signedBytes, signedCount, type Section } from './dom.js';
import { dataTable, type Column } from './table.js';

/** One kind's line: the class-level change joined with the id-matched counts (0 when not matched). */
interface KindChange {
  readonly label: string;
  readonly count: number;
  readonly size: number;
  readonly added: number;
  readonly deleted: number;
  readonly addedSize: number;
  readonly deletedSize: number;
}

function kindChanges(d: DiffSection): KindChange[] {
  const byKind = new Map<string, KindChange>();
  for (const r of d.rows) byKind.set(r.label, { label: r.label, count: r.count, size: r.size, added: 0, deleted: 0, addedSize: 0, deletedSize: 0 });
  for (const r of d.byId ?? []) {
    const row = byKind.get(r.kind) ?? { label: r.kind, count: 0, size: 0 };
    byKind.set(r.kind, { label: row.label, count: row.count, size: row.size, added: r.added, deleted: r.deleted, addedSize: r.addedSize, deletedSize: r.deletedSize });
  }
  return Array.from(byKind.values());
}

/** The diff section, or null when the report compares nothing. */
export function diffBlock(page: Page): Section | null {
  const d = page.data.diff;
  if (!d) return null;
  const columns: Array<Column<KindChange>> = [
    { key: 'label', label: d.header, sort: (r) => r.label.toLowerCase(), render: (r) => h('span', { class: 'kindname' }, r.label) },
    { key: 'count', label: 'Δ Count', num: true, sort: (r) => r.count, render: (r) => signedCount(r.count) },
    { key: 'size', label: 'Δ Size', num: true, sort: (r) => r.size, render: (r) => signedBytes(r.size) },
    { key: 'abs', label: '|Δ Size|', num: true, sort: (r) => Math.abs(r.size), render: (r) => bytes(Math.abs(r.size)) },
  ];
  if (d.byId) {
    columns.push(
      { key: 'added', label: 'New objects', num: true, sort: (r) => r.added, render: (r) => formatCount(r.added) },
      { key: 'addedSize', label: 'New size', num: true, sort: (r) => r.addedSize, render: (r) => bytes(r.addedSize) },
      { key: 'deleted', label: 'Freed objects', num: true, sort: (r) => r.deleted, render: (r) => formatCount(r.deleted) },
      { key: 'deletedSize', label: 'Freed size', num: true, sort: (r) => r.deletedSize, render: (r) => bytes(r.deletedSize) },
    );
  }
  const t = dataTable({ label: 'Differences by kind', rows: kindChanges(d), columns, sort: { key: 'abs', dir: 'desc' } });
  const delta = d.after.size - d.before.size;
  const card = h(
    'div',
    { class: 'card' },
    h(
      'div',
      { class: 'toolbar' },
      figures([
        ['Before', h('span', null, bytes(d.before.size), ' · ', formatCount(d.before.count), ' objects')],
        ['After', h('span', null, bytes(d.after.size), ' · ', formatCount(d.after.count), ' objects')],
        ['Change', h('span', null, signedBytes(delta), ' · ', signedCount(d.after.count - d.before.count), ' objects')],
      ]),
    ),
    h('div', { class: 'table-wrap' }, t.el),
  );
  return block('diff', 'What changed', 'From ' + d.from + ' to ' + d.to + ', by kind; new and freed objects are matched by V8 object id.', card);
}
