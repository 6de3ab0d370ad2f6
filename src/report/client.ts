// @ts-nocheck -- this function runs in the browser: the project compiles without the DOM library,
// so it is syntax-checked here but not type-checked. html.ts embeds its source text in the page.
/**
 * The report page's script: renders the masthead, the partition table, the treemap, kinds and
 * their largest instances, graphs, hints, diff, leaks and timelines from the embedded data, and
 * (under `heapy serve`) fetches objects, rows and tree levels from the live engine.
 *
 * Heap strings are untrusted: all text goes into the DOM through textContent, never as markup.
 * The only markup inserted is the graph SVG, which is parsed as XML and stripped of scripts and
 * event attributes first.
 */

/** Renders the whole page into document.body from the report data; `DATA.live` enables fetching. */
export function reportPage(DATA) {
  'use strict';
  const LIVE = DATA.live === true;
  const doc = document;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const SVG_TAGS = new Set(['svg', 'g', 'rect', 'text', 'line', 'path', 'tspan', 'circle', 'polyline']);

  // ---------------------------------------------------------------- helpers
  function h(tag, props, ...kids) {
    const el = SVG_TAGS.has(tag) ? doc.createElementNS(SVG_NS, tag) : tag === 'svgtitle' ? doc.createElementNS(SVG_NS, 'title') : doc.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'text') el.textContent = v;
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }
  function fmtBytes(n) {
    const sign = n < 0 ? '-' : '';
    let v = Math.abs(n);
    if (v < 1024) return sign + v + ' B';
    const units = ['KB', 'MB', 'GB', 'TB'];
    let u = -1;
    do {
      v /= 1024;
      u++;
    } while (v >= 1024 && u < units.length - 1);
    return sign + (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ' + units[u];
  }
  const fmtCount = (n) => Number(n).toLocaleString('en-US');
  const exact = (n) => fmtCount(n) + ' bytes';
  function fmtPct(part, whole) {
    if (!whole) return '0';
    const p = (100 * part) / whole;
    return Math.abs(p) >= 10 ? p.toFixed(0) : Math.abs(p) >= 0.05 ? p.toFixed(1) : p === 0 ? '0' : '<0.1';
  }
  /** A size in human units; the exact byte count in the tooltip. */
  const bytes = (n, cls) => h('span', { title: exact(n), class: cls }, fmtBytes(n));
  const signedBytes = (n) => h('span', { title: (n > 0 ? '+' : '') + exact(n), class: n > 0 ? 'delta-up' : n < 0 ? 'delta-down' : null }, (n > 0 ? '+' : '') + fmtBytes(n));
  const signedCount = (n) => h('span', { class: n > 0 ? 'delta-up' : n < 0 ? 'delta-down' : null }, (n > 0 ? '+' : '') + fmtCount(n));
  async function api(path) {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    if (!res.ok) {
      let msg = res.status + ' ' + res.statusText;
      try {
        msg = (await res.json()).error || msg;
      } catch {}
      throw new Error(msg);
    }
    return res.json();
  }
  const main = snapshotMain();
  function snapshotMain() {
    return DATA.snapshots[DATA.snapshots.length - 1];
  }
  const heapSize = main.reachableSize || main.totalSize || 1;

  // ---------------------------------------------------------------- objects
  const objects = new Map(Object.entries(DATA.objects || {}));
  const canOpen = (id) => id !== 0 && (LIVE || objects.has(String(id)));
  async function getObject(id) {
    const key = String(id);
    const have = objects.get(key);
    if (have && (have.edges || !LIVE)) return have;
    if (!LIVE) return null;
    const o = await api('/api/object/' + encodeURIComponent(key));
    objects.set(key, o);
    return o;
  }
  function objectLabel(ref, withId = true) {
    return h(
      'span',
      null,
      h('span', { class: 'kindname' }, ref.kind || '?'),
      ref.preview ? [' ', h('span', { class: 'preview' }, ref.preview)] : null,
      withId ? [' ', h('span', { class: 'idtag' }, '@' + ref.id)] : null,
    );
  }
  /** The shortest path as text a developer can paste; each object on it opens when clicked. */
  function pathView(o) {
    if (!o.hops || o.hops.length === 0) return h('div', { class: 'path muted' }, o.distance < 0 ? 'No strong path from the roots (held only by weak references).' : 'Root');
    const box = h('div', { class: 'path', 'aria-label': 'Shortest path from the roots' });
    box.append(h('span', { class: 'hop root' }, 'Root'));
    o.hops.forEach((hop, i) => {
      const last = i === o.hops.length - 1;
      if (!hop.step) return;
      const title = hop.kind + ' @' + hop.id;
      if (!last && canOpen(hop.id)) box.append(h('button', { type: 'button', class: 'hop', title: 'Open ' + title, onclick: () => openObject(hop.id) }, hop.step));
      else box.append(h('span', { class: 'hop' + (last ? ' target' : ''), title }, hop.step));
    });
    return box;
  }
  function objectButton(ref) {
    if (!canOpen(ref.id)) return objectLabel(ref);
    return h('button', { type: 'button', class: 'link', onclick: () => openObject(ref.id) }, objectLabel(ref));
  }

  // ---------------------------------------------------------------- keyboard tables
  /**
   * A table whose rows are reachable by keyboard: one row is in the tab order, arrow keys, Home,
   * End and Page keys move between rows, Enter or Space opens the row. Headers sort.
   */
  function dataTable(opts) {
    const { columns, label } = opts;
    let rows = opts.rows.slice();
    let sortKey = opts.sort ? opts.sort.key : null;
    let sortDir = opts.sort ? opts.sort.dir : 'desc';
    const table = h('table', { class: 'data', 'aria-label': label });
    const tbody = h('tbody');
    const headRow = h('tr');
    const ths = new Map();
    for (const col of columns) {
      const th = h('th', { scope: 'col', class: col.num ? 'num' : null });
      if (col.sort) th.append(h('button', { type: 'button', title: 'Sort by ' + col.label, onclick: () => sortBy(col.key) }, col.label));
      else th.append(h('span', { style: { display: 'block', padding: '9px 10px' } }, col.label));
      ths.set(col.key, th);
      headRow.append(th);
    }
    table.append(h('thead', null, headRow), tbody);
    function sortBy(key) {
      if (sortKey === key) sortDir = sortDir === 'desc' ? 'asc' : 'desc';
      else {
        sortKey = key;
        const col = columns.find((c) => c.key === key);
        sortDir = col && col.num ? 'desc' : 'asc';
      }
      render();
    }
    function sorted() {
      const col = columns.find((c) => c.key === sortKey);
      if (!col || !col.sort) return rows;
      const dir = sortDir === 'asc' ? 1 : -1;
      return rows.slice().sort((a, b) => {
        const x = col.sort(a);
        const y = col.sort(b);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    }
    function render() {
      for (const [key, th] of ths) {
        if (key === sortKey) th.setAttribute('aria-sort', sortDir === 'asc' ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
      }
      const list = sorted();
      if (opts.decorate) opts.decorate(list);
      const trs = list.map((row, i) => {
        const tr = h('tr', { tabindex: i === 0 ? '0' : '-1' });
        tr._row = row;
        for (const col of columns) tr.append(h('td', { class: [col.num ? 'num' : '', col.cls || ''].join(' ').trim() || null }, col.render(row, i)));
        return tr;
      });
      if (trs.length === 0) trs.push(h('tr', null, h('td', { colspan: String(columns.length), class: 'muted' }, opts.empty || 'No rows.')));
      tbody.replaceChildren(...trs);
    }
    const rowEls = () => Array.from(tbody.children).filter((tr) => tr._row);
    function focusRow(tr) {
      if (!tr) return;
      for (const r of rowEls()) r.tabIndex = r === tr ? 0 : -1;
      tr.focus();
    }
    tbody.addEventListener('keydown', (ev) => {
      const tr = ev.target.closest('tr');
      if (!tr || tr !== ev.target) return;
      const all = rowEls();
      const i = all.indexOf(tr);
      const go = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: all.length - 1, PageDown: i + 10, PageUp: i - 10 }[ev.key];
      if (go !== undefined) {
        ev.preventDefault();
        focusRow(all[Math.max(0, Math.min(all.length - 1, go))]);
      } else if ((ev.key === 'Enter' || ev.key === ' ') && opts.onOpen) {
        ev.preventDefault();
        opts.onOpen(tr._row, tr);
      }
    });
    tbody.addEventListener('focusin', (ev) => {
      const tr = ev.target.closest('tr');
      if (tr && tr._row && tr === ev.target) for (const r of rowEls()) r.tabIndex = r === tr ? 0 : -1;
    });
    tbody.addEventListener('click', (ev) => {
      if (ev.target.closest('button, a')) return;
      const tr = ev.target.closest('tr');
      if (!tr || !tr._row || !opts.onOpen) return;
      focusRow(tr);
      opts.onOpen(tr._row, tr);
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

  // ---------------------------------------------------------------- inspector panel
  const panel = h('aside', { id: 'inspector', 'aria-labelledby': 'inspector-title', 'aria-hidden': 'true' });
  const panelTitle = h('h2', { id: 'inspector-title', tabindex: '-1' });
  const backBtn = h('button', { type: 'button', class: 'plain', onclick: () => back() }, '← Back');
  const closeBtn = h('button', { type: 'button', class: 'plain', 'aria-label': 'Close details', onclick: () => closePanel() }, 'Close');
  const panelBody = h('div', { class: 'body' });
  panel.append(h('div', { class: 'bar' }, backBtn, panelTitle, closeBtn), panelBody);
  const history = [];
  let returnFocus = null;
  function showView(view) {
    panelTitle.textContent = view.title;
    panelBody.replaceChildren();
    backBtn.hidden = history.length < 2;
    const token = {};
    showView.token = token;
    const out = view.render();
    if (out instanceof Promise) {
      panelBody.append(h('p', { class: 'loading' }, 'Loading…'));
      out.then(
        (node) => {
          if (showView.token === token) panelBody.replaceChildren(node);
        },
        (err) => {
          if (showView.token === token) panelBody.replaceChildren(h('p', { class: 'error' }, String(err && err.message ? err.message : err)));
        },
      );
    } else panelBody.append(out);
    panel.classList.add('open');
    panel.removeAttribute('aria-hidden');
    panelTitle.focus();
  }
  function openView(view) {
    if (!panel.classList.contains('open')) {
      history.length = 0;
      returnFocus = doc.activeElement;
    }
    history.push(view);
    showView(view);
  }
  function back() {
    if (history.length < 2) return;
    history.pop();
    showView(history[history.length - 1]);
  }
  function closePanel() {
    panel.classList.remove('open');
    panel.setAttribute('aria-hidden', 'true');
    history.length = 0;
    if (returnFocus && doc.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }
  doc.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && panel.classList.contains('open')) {
      ev.preventDefault();
      closePanel();
    }
  });

  function figures(pairs) {
    return h(
      'div',
      { class: 'figures' },
      pairs.filter(Boolean).map(([k, v]) => h('div', null, h('span', null, k), v)),
    );
  }

  function openObject(id) {
    openView({
      title: 'Object @' + id,
      render: async () => {
        const o = await getObject(id);
        if (!o) {
          return h('div', null, h('p', null, 'Object @' + id + ' is not in this report.'), h('p', { class: 'muted' }, 'The report holds the largest objects only. Run heapy serve on the snapshot to open any object.'));
        }
        panelTitle.textContent = o.kind + ' @' + o.id;
        return objectView(o);
      },
    });
  }

  function objectView(o) {
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
    if (o.dominator) box.append(h('p', { class: 'muted', style: { margin: '0 0 4px' } }, 'Kept alive by ', objectButton(o.dominator), ' (its immediate dominator).'));
    box.append(h('section', null, h('h3', null, 'Shortest path from the roots'), pathView(o)));
    if (o.edges) box.append(edgeSection('References', 'edges', o, o.edges));
    if (o.retainers) box.append(edgeSection('Referrers', 'retainers', o, o.retainers));
    if (LIVE) {
      const holder = h('section', null, h('h3', null, 'Keeps alive'));
      const btn = h('button', { type: 'button', class: 'plain' }, 'Show the objects it keeps alive');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          const r = await api('/api/dominated/' + o.id + '?limit=50');
          const t = dataTable({
            label: 'Objects kept alive by @' + o.id,
            rows: r.items,
            columns: [
              { key: 'obj', label: 'Object', render: (x) => h('span', null, x.label ? h('code', null, x.label + ' ') : null, objectLabel(x)) },
              { key: 'retained', label: 'Retained', num: true, sort: (x) => x.retained, render: (x) => bytes(x.retained) },
            ],
            onOpen: (x) => openObject(x.id),
            empty: 'It keeps nothing else alive.',
          });
          btn.replaceWith(t.el, h('div', { class: 'table-foot' }, fmtCount(r.total) + ' objects, ' + fmtBytes(r.totalSize) + ' retained together'));
        } catch (err) {
          btn.replaceWith(h('p', { class: 'error' }, String(err.message || err)));
        }
      });
      holder.append(btn);
      box.append(holder);
    }
    return box;
  }

  function edgeSection(title, which, o, page) {
    const sec = h('section', null, h('h3', null, title + ' (' + fmtCount(page.total) + ')'));
    let items = page.items.slice();
    const t = dataTable({
      label: title + ' of @' + o.id,
      rows: items,
      columns: [
        { key: 'step', label: which === 'edges' ? 'Edge' : 'Via', sort: (x) => x.step, render: (x) => h('code', null, x.step || '(table)') },
        { key: 'obj', label: 'Object', render: (x) => objectLabel(x.object) },
        { key: 'retained', label: 'Retained', num: true, sort: (x) => x.object.retained, render: (x) => bytes(x.object.retained) },
      ],
      onOpen: (x) => {
        if (canOpen(x.object.id)) openObject(x.object.id);
      },
      empty: which === 'edges' ? 'No outgoing references.' : 'No referrers.',
    });
    sec.append(t.el);
    const foot = h('div', { class: 'table-foot' });
    const update = () => {
      foot.replaceChildren('Showing ' + fmtCount(items.length) + ' of ' + fmtCount(page.total) + ', largest first.');
      if (LIVE && items.length < page.total) {
        const more = h('button', { type: 'button', class: 'plain', style: { marginLeft: '10px' } }, 'Show more');
        more.addEventListener('click', async () => {
          more.disabled = true;
          const next = await api('/api/' + which + '/' + o.id + '?offset=' + items.length + '&limit=50');
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

  /** Largest objects of a row: each with its sizes and its path (under the object when `stacked`, for the narrow panel). */
  function instancesTable(ids, label, stacked) {
    const list = ids.map((id) => objects.get(String(id))).filter(Boolean);
    const columns = stacked
      ? [
          { key: 'obj', label: 'Object and its shortest path', cls: 'label', render: (o) => [h('div', null, objectLabel(o)), pathView(o)] },
          { key: 'retained', label: 'Retained', num: true, sort: (o) => o.retained, render: (o) => bytes(o.retained) },
          { key: 'self', label: 'Self', num: true, sort: (o) => o.self, render: (o) => bytes(o.self) },
        ]
      : [
          { key: 'obj', label: 'Object', render: (o) => objectLabel(o) },
          { key: 'retained', label: 'Retained', num: true, sort: (o) => o.retained, render: (o) => bytes(o.retained) },
          { key: 'self', label: 'Self', num: true, sort: (o) => o.self, render: (o) => bytes(o.self) },
          { key: 'path', label: 'Shortest path', cls: 'label', render: (o) => pathView(o) },
        ];
    return dataTable({
      label,
      rows: list,
      columns,
      onOpen: (o) => openObject(o.id),
      empty: 'No objects listed for this row.',
    });
  }

  function openRow(rel, row) {
    const p = DATA.partitions[rel];
    const isKind = rel === 'kind';
    openView({
      title: (isKind ? '' : p.header.replace(/:$/, '') + ': ') + (row.label || '(empty)'),
      render: () => {
        const box = h('div', null);
        box.append(
          figures([
            ['Objects', h('span', null, fmtCount(row.count))],
            ['Size', bytes(row.size)],
            ['Share', h('span', null, fmtPct(row.size, p.size) + ' %')],
            row.retained !== undefined ? ['Retained', bytes(row.retained)] : null,
          ]),
        );
        if (row.samples.length > 0) {
          box.append(h('section', null, h('h3', null, 'Largest ' + (isKind ? 'instances' : 'objects') + ' by retained size'), instancesTable(row.samples, 'Largest objects of ' + row.label, true).el));
        } else if (!LIVE) {
          box.append(h('p', { class: 'muted' }, 'The report lists objects for the largest rows only; heapy serve opens every row.'));
        }
        if (LIVE) {
          const live = h('section', null, h('h3', null, 'This row, by kind'), h('p', { class: 'loading' }, 'Loading…'));
          box.append(live);
          api('/api/row?relation=' + encodeURIComponent(rel) + '&index=' + row.index).then(
            (r) => {
              const t = dataTable({
                label: 'Row ' + row.index + ' by kind',
                rows: r.byKind,
                sort: { key: 'size', dir: 'desc' },
                columns: [
                  { key: 'label', label: 'Kind', sort: (x) => x.label, render: (x) => h('span', { class: 'kindname' }, x.label) },
                  { key: 'count', label: 'Count', num: true, sort: (x) => x.count, render: (x) => fmtCount(x.count) },
                  { key: 'size', label: 'Size', num: true, sort: (x) => x.size, render: (x) => bytes(x.size) },
                ],
              });
              const more = dataTable({
                label: 'Largest objects of row ' + row.index,
                rows: r.largest,
                columns: [
                  { key: 'obj', label: 'Object and its shortest path', cls: 'label', render: (o) => [h('div', null, objectLabel(o)), pathView(o)] },
                  { key: 'retained', label: 'Retained', num: true, sort: (o) => o.retained, render: (o) => bytes(o.retained) },
                ],
                onOpen: (o) => openObject(o.id),
              });
              live.replaceChildren(h('h3', null, 'This row, by kind'), t.el, h('h3', { style: { marginTop: '18px' } }, 'Its ' + r.largest.length + ' largest objects'), more.el);
            },
            (err) => live.replaceChildren(h('p', { class: 'error' }, String(err.message || err))),
          );
        }
        return box;
      },
    });
  }

  // ---------------------------------------------------------------- layout
  const sections = [];
  function block(id, title, lede, ...content) {
    const sec = h('section', { class: 'block', id, 'aria-labelledby': id + '-h' }, h('header', null, h('h2', { id: id + '-h' }, title), lede ? h('p', { class: 'lede' }, lede) : null), content);
    sections.push({ id, title, el: sec });
    return sec;
  }

  function masthead() {
    const snaps = DATA.snapshots;
    const kind = DATA.partitions.kind;
    const top = kind && kind.rows[0];
    const tree = DATA.tree;
    const biggest = tree && tree.children ? tree.children.find((c) => c.id !== 0) : null;
    const stats = [
      ['Reachable heap', bytes(main.reachableSize), fmtCount(main.reachableCount) + ' objects'],
      ['Snapshot', h('span', null, fmtCount(main.nodes)), 'nodes · ' + fmtCount(main.edges) + ' edges'],
      top ? ['Largest kind', h('span', { title: top.label }, fmtBytes(top.size)), top.label + ' · ' + fmtCount(top.count) + ' objects'] : null,
      biggest ? ['Largest holder', bytes(biggest.retained), (biggest.label ? biggest.label + ' ' : '') + biggest.kind] : null,
    ];
    if (DATA.timelines && DATA.timelines.length > 0) {
      let peak = 0;
      for (const tl of DATA.timelines) for (const s of tl.series) if (s.metric === 'rss' && s.peak > peak) peak = s.peak;
      if (peak > 0) stats.push(['Peak RSS', bytes(peak), 'from the monitor recording']);
    }
    const sub = snaps.length > 1 ? snaps.length + ' snapshots: ' + snaps.map((s) => s.name).join(' → ') : main.source;
    return h(
      'header',
      { class: 'masthead' },
      h(
        'div',
        { class: 'masthead-inner' },
        h('div', { class: 'brand' }, h('b', null, 'heapy'), ' heap report'),
        h('h1', null, DATA.title),
        h('p', { class: 'subtitle' }, sub, ' · generated ', new Date(DATA.generated).toLocaleString(), LIVE ? ' · live' : ''),
        h(
          'div',
          { class: 'stats' },
          stats.filter(Boolean).map(([label, value, note]) => h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), h('div', { class: 'note', title: note }, note))),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- partition table
  function partitionBlock() {
    const rels = DATA.relations.filter((r) => DATA.partitions[r]);
    if (rels.length === 0) return null;
    let rel = rels[0];
    let filter = '';
    const group = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Partition by' });
    const buttons = rels.map((r) =>
      h('button', { type: 'button', 'aria-pressed': r === rel ? 'true' : 'false', 'data-relation': r, onclick: () => choose(r) }, r),
    );
    group.append(...buttons);
    const input = h('input', { type: 'search', id: 'row-filter', placeholder: 'Filter rows by name', 'aria-label': 'Filter rows by name' });
    const counter = h('span', { class: 'muted', 'aria-live': 'polite', style: { fontSize: '13px' } });
    const scope = h('div', { class: 'scope-note', hidden: true });
    const wrap = h('div', { class: 'table-wrap' });
    const foot = h('div', { class: 'table-foot' });
    let table;
    function choose(r) {
      rel = r;
      for (const b of buttons) b.setAttribute('aria-pressed', b.dataset.relation === r ? 'true' : 'false');
      show();
    }
    input.addEventListener('input', () => {
      filter = input.value.trim().toLowerCase();
      show();
    });
    function show() {
      const p = DATA.partitions[rel];
      const all = p.rows.map((r, i) => Object.assign({ index: i }, r));
      const rows = filter ? all.filter((r) => r.label.toLowerCase().includes(filter)) : all;
      const hasRetained = rel === 'kind';
      const columns = [
        { key: 'index', label: '#', num: true, sort: (r) => r.index, render: (r) => String(r.index) },
        { key: 'count', label: 'Count', num: true, sort: (r) => r.count, render: (r) => fmtCount(r.count) },
        { key: 'countPct', label: '%', num: true, cls: 'pct', render: (r) => fmtPct(r.count, p.count) },
        {
          key: 'size',
          label: 'Size',
          num: true,
          sort: (r) => r.size,
          cls: 'sizebar',
          render: (r) => [bytes(r.size), h('span', { class: 'bar', style: { width: Math.max(1, (100 * r.size) / (p.rows[0] ? p.rows[0].size || 1 : 1)) * 0.9 + '%' }, 'aria-hidden': 'true' })],
        },
        { key: 'sizePct', label: '%', num: true, cls: 'pct', render: (r) => fmtPct(r.size, p.size) },
        { key: 'cum', label: 'Cumulative', num: true, render: (r) => bytes(r._cum) },
        { key: 'cumPct', label: '%', num: true, cls: 'pct', render: (r) => fmtPct(r._cum, p.size) },
      ];
      if (hasRetained) columns.push({ key: 'retained', label: 'Retained', num: true, sort: (r) => r.retained || 0, render: (r) => bytes(r.retained || 0) });
      columns.push({ key: 'label', label: p.header, cls: 'label', sort: (r) => r.label.toLowerCase(), render: (r) => (rel === 'kind' ? h('span', { class: 'kindname' }, r.label) : h('span', { class: rel === 'size' ? null : 'mono' }, r.label || '(none)')) });
      const t = dataTable({
        label: 'Partition by ' + rel,
        rows,
        columns,
        sort: { key: 'index', dir: 'asc' },
        decorate: (list) => {
          let c = 0;
          for (const r of list) r._cum = c += r.size;
        },
        onOpen: (r) => openRow(rel, r),
      });
      if (table) table.el.replaceWith(t.el);
      else wrap.append(t.el);
      table = t;
      counter.textContent = (filter ? fmtCount(rows.length) + ' of ' : '') + fmtCount(p.rows.length) + ' rows shown';
      if (p.scope) {
        scope.hidden = false;
        scope.textContent = 'Computed over ' + p.scope + '.';
      } else scope.hidden = true;
      foot.replaceChildren(
        'Partition of a set of ' + fmtCount(p.count) + ' objects, ' + fmtBytes(p.size) + ' (' + exact(p.size) + '). ',
        p.totalRows > p.rows.length ? fmtCount(p.totalRows - p.rows.length) + ' smaller rows (' + fmtCount(p.restCount) + ' objects, ' + fmtBytes(p.restSize) + ') are not listed. ' : '',
        'Enter or click opens a row.',
      );
    }
    show();
    const card = h('div', { class: 'card' }, h('div', { class: 'toolbar' }, group, input, counter), scope, wrap, foot);
    return block('partition', 'Partition', 'The reachable heap grouped by a relation, largest first, as guppy prints it. Choose a relation; sort by any column; open a row to see its largest objects and their paths.', card);
  }

  // ---------------------------------------------------------------- kinds
  function kindsBlock() {
    const p = DATA.partitions.kind;
    if (!p) return null;
    const kinds = p.rows.map((r, i) => Object.assign({ index: i }, r)).filter((r) => r.samples.length > 0);
    if (kinds.length === 0) return null;
    let order = 'retained';
    const list = h('div', { class: 'kindlist', role: 'group', 'aria-label': 'Kinds' });
    const detail = h('div', { class: 'detail', 'aria-live': 'polite' });
    let current = kinds.slice().sort((a, b) => (b.retained || 0) - (a.retained || 0))[0];
    const group = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Order kinds by' });
    const orders = [
      ['retained', 'Retained'],
      ['size', 'Self size'],
      ['count', 'Count'],
    ].map(([k, l]) => h('button', { type: 'button', 'aria-pressed': k === order ? 'true' : 'false', 'data-order': k, onclick: () => setOrder(k) }, l));
    group.append(...orders);
    function setOrder(k) {
      order = k;
      for (const b of orders) b.setAttribute('aria-pressed', b.dataset.order === k ? 'true' : 'false');
      renderList();
    }
    function renderList() {
      const sorted = kinds.slice().sort((a, b) => (b[order] || 0) - (a[order] || 0));
      list.replaceChildren(
        ...sorted.map((k) => {
          const b = h(
            'button',
            { type: 'button', 'aria-current': k === current ? 'true' : null, 'aria-selected': k === current ? 'true' : 'false', title: k.label },
            h('span', { class: 'k' }, k.label),
            h('span', { class: 'num muted' }, order === 'count' ? fmtCount(k.count) : fmtBytes(k[order] || 0)),
          );
          b.addEventListener('click', () => select(k, b));
          b.addEventListener('keydown', (ev) => {
            const btns = Array.from(list.querySelectorAll('button'));
            const i = btns.indexOf(b);
            const j = ev.key === 'ArrowDown' ? i + 1 : ev.key === 'ArrowUp' ? i - 1 : ev.key === 'Home' ? 0 : ev.key === 'End' ? btns.length - 1 : -2;
            if (j === -2) return;
            ev.preventDefault();
            const to = btns[Math.max(0, Math.min(btns.length - 1, j))];
            if (to) to.focus();
          });
          return b;
        }),
      );
    }
    function select(k, btn) {
      current = k;
      for (const b of list.querySelectorAll('button')) {
        const on = b === btn;
        b.setAttribute('aria-selected', on ? 'true' : 'false');
        if (on) b.setAttribute('aria-current', 'true');
        else b.removeAttribute('aria-current');
      }
      renderDetail();
    }
    function renderDetail() {
      const k = current;
      detail.replaceChildren(
        h('h3', { style: { fontSize: '19px', marginBottom: '2px' } }, k.label),
        figures([
          ['Objects', h('span', null, fmtCount(k.count))],
          ['Self size', bytes(k.size)],
          ['Retained', bytes(k.retained || 0)],
          ['Share of heap', h('span', null, fmtPct(k.size, heapSize) + ' %')],
        ]),
        h('p', { class: 'muted', style: { margin: '0 0 8px', fontSize: '13px' } }, 'Its ' + k.samples.length + ' largest instances by retained size, each with its shortest path from the roots. Open one to see its references and referrers.'),
        instancesTable(k.samples, 'Largest instances of ' + k.label).el,
      );
    }
    renderList();
    renderDetail();
    const card = h('div', { class: 'card' }, h('div', { class: 'toolbar' }, h('span', { class: 'muted', style: { fontSize: '14px' } }, 'Order by'), group), h('div', { class: 'kinds' }, list, detail));
    return block('kinds', 'Kinds and their largest instances', 'Retained size counts what would be freed with the object: itself and everything only it keeps alive.', card);
  }

  // ---------------------------------------------------------------- treemap
  function squarify(values, x, y, w, hgt, total) {
    const out = new Array(values.length).fill(null);
    const sum = values.reduce((a, b) => a + b, 0);
    const whole = Math.max(total || 0, sum);
    if (whole <= 0 || w <= 0 || hgt <= 0) return out;
    const scale = (w * hgt) / whole;
    let i = 0;
    while (i < values.length && w > 0 && hgt > 0) {
      const side = Math.min(w, hgt);
      let j = i;
      let rowSum = 0;
      let best = Infinity;
      while (j < values.length) {
        const a = values[j] * scale;
        if (a <= 0) break;
        const s = rowSum + a;
        const worst = Math.max((side * side * values[i] * scale) / (s * s), (s * s) / (side * side * a));
        if (worst > best) break;
        best = worst;
        rowSum = s;
        j++;
      }
      if (j === i) break;
      const thick = rowSum / side;
      let off = 0;
      for (let k = i; k < j; k++) {
        const len = (values[k] * scale) / thick;
        out[k] = w >= hgt ? { x, y: y + off, w: thick, h: len } : { x: x + off, y, w: len, h: thick };
        off += len;
      }
      if (w >= hgt) {
        x += thick;
        w -= thick;
      } else {
        y += thick;
        hgt -= thick;
      }
      i = j;
    }
    return out;
  }
  // Light fills keep the dark tile text above 7:1 contrast.
  const TILE_COLORS = ['#a9c8ef', '#b8e0a1', '#f9c98c', '#d3bde6', '#f5a9a3', '#f3dd8a', '#98d8cc', '#c7c3ea', '#9cc3df', '#f4c6de', '#cfe7c7', '#e6cfb3'];
  function colorOf(kind) {
    let x = 0;
    for (let i = 0; i < kind.length; i++) x = (x * 31 + kind.charCodeAt(i)) >>> 0;
    return TILE_COLORS[x % TILE_COLORS.length];
  }
  async function expandTree(node) {
    if (node.children || !LIVE || !node.more || !node.id) return;
    const r = await api('/api/dominated/' + node.id + '?limit=30');
    let shown = 0;
    node.children = r.items.map((i) => {
      shown += i.retained;
      return { id: i.id, kind: i.kind, label: i.label, preview: i.preview, retained: i.retained, self: i.self, more: i.hasChildren };
    });
    if (r.total > r.items.length) node.children.push({ id: 0, kind: '', label: r.total - r.items.length + ' smaller objects', preview: '', retained: r.totalSize - shown, self: 0, count: r.total - r.items.length });
  }
  function treemapBlock() {
    const root = DATA.tree;
    if (!root || !root.children || root.children.length === 0) return null;
    const W = 1200;
    const H = 560;
    const stack = [root];
    const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Treemap position' });
    const svg = h('svg', { class: 'treemap', viewBox: '0 0 ' + W + ' ' + H, role: 'group', 'aria-label': 'Retained size treemap' });
    const note = h('div', { class: 'legend-note' });
    const fit = (text, width, px) => {
      const n = Math.floor((width - 10) / (px * 0.58));
      if (n <= 1) return '';
      return text.length > n ? text.slice(0, Math.max(1, n - 1)) + '…' : text;
    };
    const tileName = (c) => (c.id === 0 ? c.label : (c.label ? c.label + ' ' : '') + c.kind);
    function zoomTo(depth) {
      stack.length = depth + 1;
      render(true);
    }
    async function activate(c) {
      if (c.id === 0) return;
      if (!c.children && c.more && LIVE) {
        try {
          await expandTree(c);
        } catch (err) {
          note.textContent = 'Could not load: ' + err.message;
          return;
        }
      }
      if (c.children && c.children.length > 0) {
        stack.push(c);
        render(true);
      } else if (canOpen(c.id)) openObject(c.id);
      else {
        note.textContent = (c.label ? c.label + ' ' : '') + c.kind + ' keeps ' + fmtBytes(c.retained) + ' alive' + (c.more ? '; the report stops here (heapy serve goes deeper).' : '.');
      }
    }
    function render(focus) {
      const node = stack[stack.length - 1];
      const parts = [
        stack.map((n, i) =>
          i === stack.length - 1
            ? h('span', { class: 'here', 'aria-current': 'location' }, i === 0 ? 'Whole heap' : tileName(n))
            : [h('button', { type: 'button', onclick: () => zoomTo(i) }, i === 0 ? 'Whole heap' : tileName(n)), h('span', { class: 'muted', 'aria-hidden': 'true' }, '›')],
        ),
        h('span', { class: 'spacer' }),
        h('span', { class: 'muted', title: exact(node.retained) }, fmtBytes(node.retained) + ' retained'),
        stack.length > 1 && canOpen(node.id) ? h('button', { type: 'button', onclick: () => openObject(node.id) }, 'Inspect this object') : null,
      ];
      crumbs.replaceChildren(...parts.flat(2).filter(Boolean));
      const kids = (node.children || []).filter((c) => c.retained > 0);
      const rects = squarify(
        kids.map((c) => c.retained),
        0,
        0,
        W,
        H,
        node === root ? 0 : node.retained,
      );
      const tiles = [];
      kids.forEach((c, i) => {
        const r = rects[i];
        if (!r || r.w < 1 || r.h < 1) return;
        const other = c.id === 0;
        const fill = other && !c.kind ? '#d5d8dc' : colorOf(c.kind);
        const share = fmtPct(c.retained, root.retained);
        const name = tileName(c);
        const tip = name + (c.preview ? ' ' + c.preview : '') + (other ? '' : ' @' + c.id) + '\n' + fmtBytes(c.retained) + ' retained (' + exact(c.retained) + '), ' + share + ' % of the heap';
        const g = h('g', { class: 'tile', tabindex: '0', role: 'button', 'aria-label': name + ', ' + fmtBytes(c.retained) + ' retained, ' + share + ' percent' + (c.children || c.more ? ', has contents' : '') }, h('svgtitle', null, tip));
        g.append(h('rect', { class: 'box' + (other ? ' group' : ''), x: r.x, y: r.y, width: r.w, height: r.h, fill, rx: 3 }));
        if (c.children && r.w > 60 && r.h > 56) {
          const inner = c.children.filter((x) => x.retained > 0);
          const sub = squarify(
            inner.map((x) => x.retained),
            r.x + 4,
            r.y + 38,
            r.w - 8,
            r.h - 42,
            c.retained,
          );
          inner.forEach((x, k) => {
            const s = sub[k];
            if (!s || s.w <= 2 || s.h <= 2) return;
            g.append(h('rect', { class: 'inner', x: s.x, y: s.y, width: s.w, height: s.h, fill: x.id === 0 && !x.kind ? '#ffffff' : colorOf(x.kind), rx: 2 }));
            // Inner tiles big enough for a word get one: the level below reads without zooming.
            if (s.w > 64 && s.h > 22) g.append(h('text', { class: 't3', x: s.x + 4, y: s.y + 14 }, fit(tileName(x), s.w, 11)));
            if (s.w > 64 && s.h > 38) g.append(h('text', { class: 't3 dim', x: s.x + 4, y: s.y + 28 }, fit(fmtBytes(x.retained), s.w, 11)));
          });
        }
        if (r.w > 40 && r.h > 18) {
          g.append(h('text', { class: 't1', x: r.x + 6, y: r.y + 16 }, fit(other ? c.label : c.label || c.kind, r.w, 13)));
          if (r.h > 34) g.append(h('text', { class: 't2', x: r.x + 6, y: r.y + 31 }, fit((other ? '' : c.label ? c.kind + ' · ' : '') + fmtBytes(c.retained) + ' · ' + share + ' %', r.w, 12)));
        }
        g.addEventListener('click', () => activate(c));
        g.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            activate(c);
          } else if ((ev.key === 'Backspace' || ev.key === 'ArrowUp') && stack.length > 1) {
            ev.preventDefault();
            zoomTo(stack.length - 2);
          }
        });
        tiles.push(g);
      });
      svg.replaceChildren(...tiles);
      note.textContent = 'Each tile is an object sized by what it keeps alive (its retained size); inner tiles are what it holds. Enter or click goes inside; Backspace goes back up.';
      if (focus && tiles[0]) tiles[0].focus();
    }
    render(false);
    const card = h('div', { class: 'card treemap-card' }, crumbs, svg, note);
    return block('treemap', 'Where the memory is held', 'The dominator tree: who keeps what alive. Tiles are sized by retained bytes.', card);
  }

  // ---------------------------------------------------------------- graphs
  function sanitizeSvg(markup) {
    const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
    const svg = parsed.documentElement;
    if (!svg || svg.nodeName.toLowerCase() !== 'svg') return null;
    for (const bad of svg.querySelectorAll('script, foreignObject, iframe, image')) bad.remove();
    for (const el of svg.querySelectorAll('*')) {
      for (const a of Array.from(el.attributes)) {
        if (/^on/i.test(a.name) || (/href$/i.test(a.name) && !a.value.startsWith('#'))) el.removeAttribute(a.name);
      }
    }
    return doc.importNode(svg, true);
  }
  function graphsBlock() {
    const graphs = DATA.graphs || [];
    if (graphs.length === 0) return null;
    const view = h('div', { class: 'graph-view' });
    const group = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Graph of' });
    let actual = false;
    const sizeBtn = h('button', { type: 'button', class: 'plain' }, 'Actual size');
    sizeBtn.addEventListener('click', () => {
      actual = !actual;
      view.classList.toggle('actual', actual);
      sizeBtn.textContent = actual ? 'Fit to width' : 'Actual size';
    });
    const buttons = graphs.map((g, i) =>
      h('button', { type: 'button', 'aria-pressed': i === 0 ? 'true' : 'false', title: g.reason, onclick: () => show(i) }, g.title),
    );
    group.append(...buttons);
    const caption = h('span', { class: 'muted', style: { fontSize: '13px' } });
    function show(i) {
      buttons.forEach((b, j) => b.setAttribute('aria-pressed', i === j ? 'true' : 'false'));
      const svg = sanitizeSvg(graphs[i].svg);
      if (svg) svg.setAttribute('aria-label', 'Back-reference graph of ' + graphs[i].title);
      caption.textContent = graphs[i].title + ' is ' + graphs[i].reason + '.';
      view.replaceChildren(svg || h('p', { class: 'error' }, 'This graph could not be read.'));
    }
    show(0);
    const card = h('div', { class: 'card' }, h('div', { class: 'toolbar' }, group, sizeBtn, caption), view);
    return block('graph', 'Who holds it', 'Back-reference graphs of the largest holders: each box is an object, each arrow a reference, followed back towards the roots.', card);
  }

  // ---------------------------------------------------------------- hints
  function hintsBlock() {
    const hints = DATA.hints || [];
    if (hints.length === 0) return null;
    const card = h('div', { class: 'card' });
    const sorted = hints.slice().sort((a, b) => b.bytes - a.bytes);
    for (const hint of sorted) {
      const share = Math.min(100, (100 * hint.bytes) / heapSize);
      card.append(
        h(
          'article',
          { class: 'hint' },
          h(
            'div',
            { class: 'stake' },
            h('div', { class: 'value', title: exact(hint.bytes) }, fmtBytes(hint.bytes)),
            h('div', { class: 'of' }, 'at stake · ' + fmtPct(hint.bytes, heapSize) + ' % of the heap'),
            h('div', { class: 'meter', 'aria-hidden': 'true' }, h('div', { style: { width: share + '%' } })),
          ),
          h(
            'div',
            null,
            h('h3', null, hint.title),
            h('p', null, hint.advice),
            hint.details && hint.details.length > 0 ? h('ul', { class: 'details' }, hint.details.map((d) => h('li', null, d))) : null,
            hint.objects && hint.objects.length > 0 && objects.get(String(hint.objects[0]))
              ? h('div', { style: { marginBottom: '6px' } }, pathView(objects.get(String(hint.objects[0]))))
              : null,
            hint.objects && hint.objects.length > 0
              ? h(
                  'div',
                  { class: 'chips' },
                  hint.objects.slice(0, 8).map((id) => {
                    const o = objects.get(String(id));
                    return canOpen(id)
                      ? h('button', { type: 'button', class: 'chip', onclick: () => openObject(id) }, (o ? o.kind + ' ' : '') + '@' + id)
                      : h('span', { class: 'chip' }, '@' + id);
                  }),
                )
              : null,
          ),
        ),
      );
    }
    return block('hints', 'Hints', 'What to change, largest saving first.', card);
  }

  // ---------------------------------------------------------------- diff
  function diffBlock() {
    const d = DATA.diff;
    if (!d) return null;
    const byKind = new Map();
    for (const r of d.rows) byKind.set(r.label, { label: r.label, count: r.count, size: r.size, added: 0, deleted: 0, addedSize: 0, deletedSize: 0 });
    if (d.byId) {
      for (const r of d.byId) {
        const row = byKind.get(r.kind) || { label: r.kind, count: 0, size: 0, added: 0, deleted: 0, addedSize: 0, deletedSize: 0 };
        Object.assign(row, { added: r.added, deleted: r.deleted, addedSize: r.addedSize, deletedSize: r.deletedSize });
        byKind.set(r.kind, row);
      }
    }
    const rows = Array.from(byKind.values());
    const columns = [
      { key: 'label', label: d.header, sort: (r) => r.label.toLowerCase(), render: (r) => h('span', { class: 'kindname' }, r.label) },
      { key: 'count', label: 'Δ Count', num: true, sort: (r) => r.count, render: (r) => signedCount(r.count) },
      { key: 'size', label: 'Δ Size', num: true, sort: (r) => r.size, render: (r) => signedBytes(r.size) },
      { key: 'abs', label: '|Δ Size|', num: true, sort: (r) => Math.abs(r.size), render: (r) => bytes(Math.abs(r.size)) },
    ];
    if (d.byId) {
      columns.push(
        { key: 'added', label: 'New objects', num: true, sort: (r) => r.added, render: (r) => fmtCount(r.added) },
        { key: 'addedSize', label: 'New size', num: true, sort: (r) => r.addedSize, render: (r) => bytes(r.addedSize) },
        { key: 'deleted', label: 'Freed objects', num: true, sort: (r) => r.deleted, render: (r) => fmtCount(r.deleted) },
        { key: 'deletedSize', label: 'Freed size', num: true, sort: (r) => r.deletedSize, render: (r) => bytes(r.deletedSize) },
      );
    }
    const t = dataTable({ label: 'Differences by kind', rows, columns, sort: { key: 'abs', dir: 'desc' } });
    const delta = d.after.size - d.before.size;
    const card = h(
      'div',
      { class: 'card' },
      h(
        'div',
        { class: 'toolbar' },
        figures([
          ['Before', h('span', null, bytes(d.before.size), ' · ', fmtCount(d.before.count), ' objects')],
          ['After', h('span', null, bytes(d.after.size), ' · ', fmtCount(d.after.count), ' objects')],
          ['Change', h('span', null, signedBytes(delta), ' · ', signedCount(d.after.count - d.before.count), ' objects')],
        ]),
      ),
      h('div', { class: 'table-wrap' }, t.el),
    );
    return block('diff', 'What changed', 'From ' + d.from + ' to ' + d.to + ', by kind; new and freed objects are matched by V8 object id.', card);
  }

  // ---------------------------------------------------------------- leaks
  function leaksBlock() {
    const l = DATA.leaks;
    if (!l) return null;
    const card = h('div', { class: 'card' });
    if (l.clusters.length === 0) card.append(h('p', { class: 'cluster' }, 'No objects created between the first two snapshots are still alive in the last one in a group worth reporting.'));
    for (const c of l.clusters) {
      const holder = c.holder
        ? canOpen(c.holder)
          ? h('button', { type: 'button', class: 'link', onclick: () => openObject(c.holder) }, c.holderKind + ' @' + c.holder)
          : h('span', null, c.holderKind + ' @' + c.holder)
        : null;
      card.append(
        h(
          'article',
          { class: 'cluster' },
          h(
            'div',
            { class: 'cluster-head' },
            h('h3', null, fmtCount(c.count) + ' × ' + c.kind),
            h('span', { class: 'badge' + (c.growing ? ' grow' : '') }, c.growing ? 'still growing' : 'stopped growing'),
          ),
          figures([
            ['Retained', bytes(c.retained)],
            ['New since the second snapshot', h('span', null, fmtCount(c.fresh))],
          ]),
          holder ? h('p', { style: { margin: '2px 0 6px' } }, 'Held by ', holder, c.via ? [' through ', h('code', null, c.via)] : null) : null,
          h('pre', { class: 'pathtext', title: 'One of them: ' + c.path }, c.shape),
          c.contents && c.contents.length > 0
            ? h('p', { class: 'muted', style: { margin: '6px 0', fontSize: '13px' } }, 'Keeps alive: ' + c.contents.map((x) => fmtCount(x.count) + ' ' + x.kind + ' (' + fmtBytes(x.size) + ')').join(', '))
            : null,
          c.samples.length > 0
            ? h(
                'div',
                { class: 'chips', style: { marginTop: '8px' } },
                c.samples.slice(0, 8).map((id) => (canOpen(id) ? h('button', { type: 'button', class: 'chip', onclick: () => openObject(id) }, '@' + id) : h('span', { class: 'chip' }, '@' + id))),
              )
            : null,
        ),
      );
    }
    card.prepend(h('div', { class: 'toolbar muted' }, fmtCount(l.newInTarget) + ' objects were created between ' + l.base + ' and ' + l.target + '; ' + fmtCount(l.survivors) + ' of them are still alive in ' + l.final + '.'));
    return block('leaks', 'Leak suspects', 'Objects created between ' + l.base + ' and ' + l.target + ' that are still alive in ' + l.final + ', grouped by kind and retainer path.', card);
  }

  // ---------------------------------------------------------------- timeline
  const LINE_COLORS = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#0c8599', '#c92a2a', '#5c940d', '#862e9c'];
  function niceTicks(hi, count) {
    if (!(hi > 0)) return [0];
    const raw = hi / count;
    const pow = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) || 10 * pow;
    const out = [];
    // Up to the first tick at or above `hi`, so the top of the data is inside the axis.
    for (let v = 0; out.length === 0 || out[out.length - 1] < hi - step * 1e-9; v += step) out.push(Math.round(v / step) * step);
    return out;
  }
  function byteTicks(hi) {
    // Round in the unit the axis shows, so labels read 0, 50 MB, 100 MB rather than 47.7 MB steps.
    const unit = hi >= 1073741824 ? 1073741824 : hi >= 1048576 ? 1048576 : hi >= 1024 ? 1024 : 1;
    return niceTicks(hi / unit, 5).map((v) => v * unit);
  }
  function chart(tl) {
    const W = 1000;
    const H = 340;
    const m = { l: 70, r: 18, t: 22, b: 34 };
    const t1 = Math.max(tl.duration, 1e-3);
    let vmax = 0;
    for (const s of tl.series) for (const v of s.v) if (v > vmax) vmax = v;
    const yt = byteTicks(vmax || 1);
    const ymax = yt[yt.length - 1] || 1;
    const xt = niceTicks(t1, 8);
    const X = (t) => m.l + (t / t1) * (W - m.l - m.r);
    const Y = (v) => H - m.b - (v / ymax) * (H - m.t - m.b);
    const svg = h('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Memory over time: ' + tl.series.map((s) => s.label + ' peaks at ' + fmtBytes(s.peak)).join('; ') });
    const grid = h('g', { class: 'grid axis' });
    const axisBytes = (v) => fmtBytes(v).replace(/\.0+ /, ' ').replace(/(\.\d*?)0+ /, '$1 ');
    for (const v of yt) grid.append(h('line', { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v) }), h('text', { x: m.l - 8, y: Y(v) + 4, 'text-anchor': 'end' }, axisBytes(v)));
    for (const t of xt) if (t <= t1) grid.append(h('text', { x: X(t), y: H - m.b + 18, 'text-anchor': 'middle' }, (t >= 100 ? t.toFixed(0) : String(Math.round(t * 100) / 100)) + ' s'));
    svg.append(grid);
    const gcs = h('g', null);
    for (const g of tl.gcs) gcs.append(h('line', { class: 'gc', x1: X(g.t), x2: X(g.t), y1: H - m.b, y2: H - m.b + (g.kind === 'major' ? 8 : 4) }));
    svg.append(gcs);
    tl.series.forEach((s, i) => {
      let d = '';
      for (let k = 0; k < s.t.length; k++) d += (k === 0 ? 'M' : 'L') + X(s.t[k]).toFixed(1) + ' ' + Y(s.v[k]).toFixed(1);
      svg.append(h('path', { d, fill: 'none', stroke: LINE_COLORS[i % LINE_COLORS.length], 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
      svg.append(h('circle', { cx: X(s.peakT), cy: Y(s.peak), r: 3.5, fill: LINE_COLORS[i % LINE_COLORS.length] }, h('svgtitle', null, s.label + ' peak ' + fmtBytes(s.peak) + ' at ' + s.peakT + ' s')));
    });
    // Labels of marks close together go on successive lines instead of over each other.
    let lastX = -Infinity;
    let line = 0;
    for (const mk of tl.marks) {
      const x = X(mk.t);
      line = x - lastX < 90 ? line + 1 : 0;
      lastX = x;
      svg.append(h('g', { class: 'mark' }, h('line', { x1: x, x2: x, y1: m.t, y2: H - m.b }), h('text', { x: x + 4, y: m.t + 10 + line * 14 }, mk.label)));
    }
    const cursor = h('line', { class: 'cursor', y1: m.t, y2: H - m.b, x1: -10, x2: -10 });
    svg.append(cursor);
    const readout = h('div', { class: 'chart-readout', 'aria-live': 'off' }, 'Move over the chart to read values.');
    svg.addEventListener('mousemove', (ev) => {
      const box = svg.getBoundingClientRect();
      const x = ((ev.clientX - box.left) / box.width) * W;
      const t = Math.max(0, Math.min(t1, ((x - m.l) / (W - m.l - m.r)) * t1));
      cursor.setAttribute('x1', X(t));
      cursor.setAttribute('x2', X(t));
      const parts = ['t = ' + t.toFixed(2) + ' s'];
      for (const s of tl.series) {
        let lo = 0;
        let hi = s.t.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (s.t[mid] < t) lo = mid + 1;
          else hi = mid;
        }
        if (s.t.length > 0) parts.push(s.label + ' ' + fmtBytes(s.v[lo]));
      }
      readout.textContent = parts.join(' · ');
    });
    const legend = dataTable({
      label: 'Series of ' + tl.source,
      rows: tl.series.map((s, i) => Object.assign({ color: LINE_COLORS[i % LINE_COLORS.length] }, s)),
      columns: [
        { key: 'label', label: 'Series', render: (s) => [h('span', { class: 'swatch', style: { background: s.color }, 'aria-hidden': 'true' }), s.label] },
        { key: 'peak', label: 'Peak', num: true, sort: (s) => s.peak, render: (s) => bytes(s.peak) },
        { key: 'peakT', label: 'At', num: true, sort: (s) => s.peakT, render: (s) => s.peakT + ' s' },
        { key: 'last', label: 'Last', num: true, render: (s) => (s.v.length ? bytes(s.v[s.v.length - 1]) : '') },
      ],
    });
    return h(
      'div',
      { class: 'card', style: { marginBottom: '16px' } },
      h('div', { class: 'toolbar' }, h('strong', null, tl.command || tl.source), h('span', { class: 'muted' }, tl.duration.toFixed(1) + ' s · ' + fmtCount(tl.gcCount) + ' GCs, ' + tl.gcMs.toFixed(0) + ' ms paused')),
      svg,
      readout,
      legend.el,
    );
  }
  function timelineBlock() {
    const tls = DATA.timelines || [];
    if (tls.length === 0) return null;
    return block('timeline', 'Memory over time', 'From the monitor recording: resident set size and V8 heap, GCs as ticks along the time axis, marks as dashed lines.', tls.map(chart));
  }

  // ---------------------------------------------------------------- open by id
  function openById() {
    const form = h('form', { class: 'openid', role: 'search', style: { display: 'flex', gap: '6px', alignItems: 'center' } });
    const input = h('input', { type: 'text', inputmode: 'numeric', placeholder: '@id', 'aria-label': 'Open object by V8 id', style: { minWidth: '110px', width: '120px' } });
    form.append(input, h('button', { type: 'submit', class: 'plain' }, 'Open'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const id = Number(String(input.value).replace(/^@/, '').trim());
      if (Number.isInteger(id) && id > 0) openObject(id);
    });
    return form;
  }

  // ---------------------------------------------------------------- page
  const blocks = [treemapBlock(), partitionBlock(), kindsBlock(), graphsBlock(), hintsBlock(), diffBlock(), leaksBlock(), timelineBlock()].filter(Boolean);
  const navList = h('ul', null);
  for (const s of sections) navList.append(h('li', null, h('a', { href: '#' + s.id }, s.title)));
  navList.append(h('li', { style: { marginLeft: 'auto', padding: '6px 0' } }, openById()));
  const nav = h('nav', { class: 'sections', 'aria-label': 'Sections' }, navList);
  const mainEl = h('main', { id: 'content', tabindex: '-1' }, blocks);
  const timings = DATA.timings ? Object.entries(DATA.timings) : [];
  const totalMs = timings.reduce((a, [, v]) => a + v, 0);
  const footer = h(
    'footer',
    { class: 'page' },
    h('p', null, 'Made by heapy' + (totalMs ? ' in ' + (totalMs / 1000).toFixed(1) + ' s' : '') + '. ' + (LIVE ? 'Served live from the loaded snapshot.' : 'This file is self-contained: it loads nothing from the network.')),
    timings.length ? h('p', null, timings.map(([k, v]) => k + ' ' + v + ' ms').join(' · ')) : null,
  );
  const skip = h('a', { href: '#content', class: 'skip' }, 'Skip to content');
  doc.body.replaceChildren(skip, masthead(), nav, mainEl, footer, panel);
  if ('IntersectionObserver' in window) {
    const links = new Map(Array.from(navList.querySelectorAll('a')).map((a) => [a.getAttribute('href').slice(1), a]));
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          for (const a of links.values()) a.removeAttribute('aria-current');
          const a = links.get(e.target.id);
          if (a) a.setAttribute('aria-current', 'true');
        }
      },
      { rootMargin: '-20% 0px -70% 0px' },
    );
    for (const s of sections) io.observe(s.el);
  }
  doc.documentElement.dataset.ready = 'true';
}
