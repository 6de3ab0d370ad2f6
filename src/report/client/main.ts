/**
 * The entry of the report page's script (html.ts bundles it with what it imports and calls
 * {@link start}): reads the embedded data and draws the page, block by block.
 */
import type { ReportData } from '../model.js';
import { createPage, type Page } from './context.js';
import { h, type Section } from './dom.js';
import { diffBlock } from './diff.js';
import { graphsBlock } from './graph.js';
import { hintsBlock } from './hints.js';
import { kindsBlock } from './kinds.js';
import { leaksBlock } from './leaks.js';
import { masthead } from './masthead.js';
import { openObject } from './objects.js';
import { partitionBlock } from './partition.js';
import { timelineBlock } from './timeline.js';
import { treemapBlock } from './treemap.js';

/** The small form in the section bar that opens any object by its V8 id. */
function openById(page: Page): HTMLFormElement {
  const form = h('form', { class: 'openid', role: 'search', style: { display: 'flex', gap: '6px', alignItems: 'center' } });
  const input = h('input', { type: 'text', inputmode: 'numeric', placeholder: '@id', 'aria-label': 'Open object by V8 id', style: { minWidth: '110px', width: '120px' } });
  form.append(input, h('button', { type: 'submit', class: 'plain' }, 'Open'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = Number(input.value.replace(/^@/, '').trim());
    if (Number.isInteger(id) && id > 0) openObject(page, id);
  });
  return form;
}

function footer(page: Page): HTMLElement {
  const timings = Object.entries(page.data.timings);
  const totalMs = timings.reduce((a, [, v]) => a + v, 0);
  return h(
    'footer',
    { class: 'page' },
    h('p', null, 'Made by heapy' + (totalMs ? ' in ' + (totalMs / 1000).toFixed(1) + ' s' : '') + '. ' + (page.live ? 'Served live from the loaded snapshot.' : 'This file is self-contained: it loads nothing from the network.')),
    timings.length ? h('p', null, timings.map(([k, v]) => k + ' ' + v + ' ms').join(' · ')) : null,
  );
}

/** Marks the section bar's link of the section in view. */
function followSections(navList: HTMLElement, sections: readonly Section[]): void {
  if (!('IntersectionObserver' in window)) return;
  const links = new Map(Array.from(navList.querySelectorAll('a')).map((a) => [a.getAttribute('href')!.slice(1), a]));
  const io = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        for (const a of links.values()) a.removeAttribute('aria-current');
        links.get(e.target.id)?.setAttribute('aria-current', 'true');
      }
    },
    { rootMargin: '-20% 0px -70% 0px' },
  );
  for (const sec of sections) io.observe(sec.el);
}

/** Draws the whole page into document.body from `data`. */
function renderPage(data: ReportData): void {
  const page = createPage(data);
  const sections = [treemapBlock, partitionBlock, kindsBlock, graphsBlock, hintsBlock, diffBlock, leaksBlock, timelineBlock]
    .map((make) => make(page))
    .filter((sec): sec is Section => sec !== null);
  const navList = h('ul', null);
  for (const sec of sections) navList.append(h('li', null, h('a', { href: '#' + sec.id }, sec.title)));
  navList.append(h('li', { style: { marginLeft: 'auto', padding: '6px 0' } }, openById(page)));
  const nav = h('nav', { class: 'sections', 'aria-label': 'Sections' }, navList);
  const mainEl = h(
    'main',
    { id: 'content', tabindex: '-1' },
    sections.map((sec) => sec.el),
  );
  const skip = h('a', { href: '#content', class: 'skip' }, 'Skip to content');
  document.body.replaceChildren(skip, masthead(page), nav, mainEl, footer(page), page.inspector.el);
  followSections(navList, sections);
  document.documentElement.dataset.ready = 'true';
}

/** Reads the report from the page's inert JSON element (html.ts writes it) and draws it. */
export function start(): void {
  const el = document.getElementById('heapy-data');
  if (!el?.textContent) throw new Error('the page has no report data');
  // The server wrote this element from a ReportData (html.ts), so the shape is trusted here.
  renderPage(JSON.parse(el.textContent) as ReportData);
}
