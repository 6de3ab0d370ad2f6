/**
 * Back-reference graphs of the largest holders, drawn by Graphviz on the server. The SVG is the
 * only markup the page inserts, so it is parsed as XML and stripped of scripts, foreign content
 * and event or external-link attributes first.
 */
import type { Page } from './context.js';
import { block, h, segmented, type Section } from './dom.js';

/** The graph as an element of this document, or null when the markup is not an SVG document. */
function sanitizeSvg(markup: string): Element | null {
  const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const svg = parsed.documentElement;
  if (svg.nodeName.toLowerCase() !== 'svg') return null;
  for (const bad of svg.querySelectorAll('script, foreignObject, iframe, image')) bad.remove();
  for (const el of svg.querySelectorAll('*')) {
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name) || (/href$/i.test(a.name) && !a.value.startsWith('#'))) el.removeAttribute(a.name);
    }
  }
  return document.importNode(svg, true);
}

/** The graph section, or null when the report has no graphs. */
export function graphsBlock(page: Page): Section | null {
  const graphs = page.data.graphs ?? [];
  if (graphs.length === 0) return null;
  const view = h('div', { class: 'graph-view' });
  let actual = false;
  const sizeBtn = h('button', { type: 'button', class: 'plain' }, 'Actual size');
  sizeBtn.addEventListener('click', () => {
    actual = !actual;
    view.classList.toggle('actual', actual);
    sizeBtn.textContent = actual ? 'Fit to width' : 'Actual size';
  });
  const group = segmented(
    'Graph of',
    graphs.map((g, i) => ({ value: i, text: g.title, props: { title: g.reason } })),
    0,
    (i) => show(i),
  );
  const caption = h('span', { class: 'muted', style: { fontSize: '13px' } });
  function show(i: number): void {
    const g = graphs[i]!;
    caption.textContent = g.title + ' is ' + g.reason + '.';
    if (g.note !== undefined) {
      view.replaceChildren(h('p', { class: 'muted' }, g.note));
      return;
    }
    const svg = sanitizeSvg(g.svg);
    if (svg) svg.setAttribute('aria-label', 'Back-reference graph of ' + g.title);
    view.replaceChildren(svg ?? h('p', { class: 'error' }, 'This graph could not be read.'));
  }
  show(0);
  const card = h('div', { class: 'card' }, h('div', { class: 'toolbar' }, group, sizeBtn, caption), view);
  return block('graph', 'Who holds it', 'Back-reference graphs of the largest holders: each box is an object, each arrow a reference, followed back towards the roots.', card);
}
