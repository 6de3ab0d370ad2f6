/**
 * The dominator tree as a zoomable treemap: each tile an object sized by what it keeps alive, the
 * level below drawn inside it. Enter or click goes inside, Backspace back up; under `heapy serve`
 * tiles beyond the report's depth are fetched.
 */
import type { TreeNode } from '../model.js';
import { formatBytes, formatPercent } from '../../util/format.js';
import type { Page } from './context.js';
import { block, errorText, exactBytes, h, s, type Section } from './dom.js';
import { fetchDominated } from './live.js';
import { openObject } from './objects.js';

/** A tile's place in the viewBox. */
interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/**
 * Squarified treemap layout (Bruls, Huizing and van Wijk, 2000) of `values` in the rectangle, in
 * order; `total` larger than their sum leaves the rest empty (a parent's own bytes). Null for
 * values that get no area.
 */
function squarify(values: readonly number[], x: number, y: number, w: number, hgt: number, total: number): Array<Rect | null> {
  const out: Array<Rect | null> = new Array<Rect | null>(values.length).fill(null);
  const sum = values.reduce((a, b) => a + b, 0);
  const whole = Math.max(total || 0, sum);
  if (whole <= 0 || w <= 0 || hgt <= 0) return out;
  const scale = (w * hgt) / whole;
  let i = 0;
  while (i < values.length && w > 0 && hgt > 0) {
    const side = Math.min(w, hgt);
    const head = values[i]! * scale;
    let j = i;
    let rowSum = 0;
    let best = Infinity;
    while (j < values.length) {
      const a = values[j]! * scale;
      if (a <= 0) break;
      const sq = rowSum + a;
      const worst = Math.max((side * side * head) / (sq * sq), (sq * sq) / (side * side * a));
      if (worst > best) break;
      best = worst;
      rowSum = sq;
      j++;
    }
    if (j === i) break;
    const thick = rowSum / side;
    let off = 0;
    for (let k = i; k < j; k++) {
      const len = (values[k]! * scale) / thick;
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
const TILE_COLORS = ['#a9c8ef', '#b8e0a1', '#f9c98c', '#d3bde6', '#f5a9a3', '#f3dd8a', '#98d8cc', '#c7c3ea', '#9cc3df', '#f4c6de', '#cfe7c7', '#e6cfb3'] as const;

/** A fill per kind, the same on every level and every load (a string hash). */
function colorOf(kind: string): string {
  let x = 0;
  for (let i = 0; i < kind.length; i++) x = (x * 31 + kind.charCodeAt(i)) >>> 0;
  return TILE_COLORS[x % TILE_COLORS.length]!;
}

/** `text` cut to what fits in `width` at `px` font size (0.58 em is a typical sans-serif advance). */
function fit(text: string, width: number, px: number): string {
  const n = Math.floor((width - 10) / (px * 0.58));
  if (n <= 1) return '';
  return text.length > n ? text.slice(0, Math.max(1, n - 1)) + '…' : text;
}

const tileName = (c: TreeNode): string => (c.id === 0 ? c.label : (c.label ? c.label + ' ' : '') + c.kind);

const W = 1200;
const H = 560;

/** The treemap section, or null when the report has no tree. */
export function treemapBlock(page: Page): Section | null {
  const root = page.data.tree;
  if (!root || !root.children || root.children.length === 0) return null;
  // Children fetched from `heapy serve` for tiles the report stopped at.
  const fetched = new Map<TreeNode, TreeNode[]>();
  const childrenOf = (n: TreeNode): readonly TreeNode[] | undefined => n.children ?? fetched.get(n);
  const stack: TreeNode[] = [root];
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Treemap position' });
  const svg = s('svg', { class: 'treemap', viewBox: '0 0 ' + W + ' ' + H, role: 'group', 'aria-label': 'Retained size treemap' });
  const note = h('div', { class: 'legend-note' });

  async function expand(node: TreeNode): Promise<void> {
    if (childrenOf(node) || !page.live || !node.more || !node.id) return;
    const r = await fetchDominated(node.id, 30);
    let shown = 0;
    const kids: TreeNode[] = r.items.map((i) => {
      shown += i.retained;
      return { id: i.id, kind: i.kind, label: i.label, preview: i.preview, retained: i.retained, self: i.self, more: i.hasChildren };
    });
    const rest = r.total - r.items.length;
    if (rest > 0) kids.push({ id: 0, kind: '', label: rest + ' smaller objects', preview: '', retained: r.totalSize - shown, self: 0, count: rest });
    fetched.set(node, kids);
  }
  function zoomTo(depth: number): void {
    stack.length = depth + 1;
    render(true);
  }
  async function activate(c: TreeNode): Promise<void> {
    if (c.id === 0) return;
    if (!childrenOf(c) && c.more && page.live) {
      try {
        await expand(c);
      } catch (err) {
        note.textContent = 'Could not load: ' + errorText(err);
        return;
      }
    }
    const kids = childrenOf(c);
    if (kids && kids.length > 0) {
      stack.push(c);
      render(true);
    } else if (page.objects.canOpen(c.id)) openObject(page, c.id);
    else {
      note.textContent = (c.label ? c.label + ' ' : '') + c.kind + ' keeps ' + formatBytes(c.retained) + ' alive' + (c.more ? '; the report stops here (heapy serve goes deeper).' : '.');
    }
  }
  function renderCrumbs(node: TreeNode): void {
    const parts = stack.map((n, i) =>
      i === stack.length - 1
        ? h('span', { class: 'here', 'aria-current': 'location' }, i === 0 ? 'Whole heap' : tileName(n))
        : [h('button', { type: 'button', onclick: () => zoomTo(i) }, i === 0 ? 'Whole heap' : tileName(n)), h('span', { class: 'muted', 'aria-hidden': 'true' }, '›')],
    );
    crumbs.replaceChildren(
      ...parts.flat(),
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted', title: exactBytes(node.retained) }, formatBytes(node.retained) + ' retained'),
      ...(stack.length > 1 && page.objects.canOpen(node.id) ? [h('button', { type: 'button', onclick: () => openObject(page, node.id) }, 'Inspect this object')] : []),
    );
  }
  function tile(c: TreeNode, r: Rect): SVGGElement {
    const other = c.id === 0;
    const fill = other && !c.kind ? '#d5d8dc' : colorOf(c.kind);
    const share = formatPercent(c.retained, root!.retained);
    const name = tileName(c);
    const kids = childrenOf(c);
    const tip = name + (c.preview ? ' ' + c.preview : '') + (other ? '' : ' @' + c.id) + '\n' + formatBytes(c.retained) + ' retained (' + exactBytes(c.retained) + '), ' + share + ' % of the heap';
    const g = s('g', { class: 'tile', tabindex: '0', role: 'button', 'aria-label': name + ', ' + formatBytes(c.retained) + ' retained, ' + share + ' percent' + (kids || c.more ? ', has contents' : '') }, s('title', null, tip));
    g.append(s('rect', { class: 'box' + (other ? ' group' : ''), x: r.x, y: r.y, width: r.w, height: r.h, fill, rx: 3 }));
    if (kids && r.w > 60 && r.h > 56) {
      const inner = kids.filter((x) => x.retained > 0);
      const sub = squarify(
        inner.map((x) => x.retained),
        r.x + 4,
        r.y + 38,
        r.w - 8,
        r.h - 42,
        c.retained,
      );
      inner.forEach((x, k) => {
        const q = sub[k];
        if (!q || q.w <= 2 || q.h <= 2) return;
        g.append(s('rect', { class: 'inner', x: q.x, y: q.y, width: q.w, height: q.h, fill: x.id === 0 && !x.kind ? '#ffffff' : colorOf(x.kind), rx: 2 }));
        // Inner tiles big enough for a word get one: the level below reads without zooming.
        if (q.w > 64 && q.h > 22) g.append(s('text', { class: 't3', x: q.x + 4, y: q.y + 14 }, fit(tileName(x), q.w, 11)));
        if (q.w > 64 && q.h > 38) g.append(s('text', { class: 't3 dim', x: q.x + 4, y: q.y + 28 }, fit(formatBytes(x.retained), q.w, 11)));
      });
    }
    if (r.w > 40 && r.h > 18) {
      g.append(s('text', { class: 't1', x: r.x + 6, y: r.y + 16 }, fit(other ? c.label : c.label || c.kind, r.w, 13)));
      if (r.h > 34) g.append(s('text', { class: 't2', x: r.x + 6, y: r.y + 31 }, fit((other ? '' : c.label ? c.kind + ' · ' : '') + formatBytes(c.retained) + ' · ' + share + ' %', r.w, 12)));
    }
    g.addEventListener('click', () => void activate(c));
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        void activate(c);
      } else if ((ev.key === 'Backspace' || ev.key === 'ArrowUp') && stack.length > 1) {
        ev.preventDefault();
        zoomTo(stack.length - 2);
      }
    });
    return g;
  }
  function render(focus: boolean): void {
    const node = stack[stack.length - 1]!;
    renderCrumbs(node);
    const kids = (childrenOf(node) ?? []).filter((c) => c.retained > 0);
    const rects = squarify(
      kids.map((c) => c.retained),
      0,
      0,
      W,
      H,
      node === root ? 0 : node.retained,
    );
    const tiles: SVGGElement[] = [];
    kids.forEach((c, i) => {
      const r = rects[i];
      if (r && r.w >= 1 && r.h >= 1) tiles.push(tile(c, r));
    });
    svg.replaceChildren(...tiles);
    note.textContent = 'Each tile is an object sized by what it keeps alive (its retained size); inner tiles are what it holds. Enter or click goes inside; Backspace goes back up.';
    if (focus) tiles[0]?.focus();
  }
  render(false);
  const card = h('div', { class: 'card treemap-card' }, crumbs, svg, note);
  return block('treemap', 'Where the memory is held', 'The dominator tree: who keeps what alive. Tiles are sized by retained bytes.', card);
}
