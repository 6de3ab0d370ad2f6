/**
 * Building the page's elements. Heap strings are untrusted, so text only ever goes in through
 * text nodes and attribute values, never as markup: there is no innerHTML here.
 */
import { formatBytes, formatCount } from '../../util/format.js';

/** What an element can hold: nodes, text, numbers and lists of them; null, undefined and false add nothing. */
export type Kid = Node | string | number | null | undefined | false | readonly Kid[];

/** A listener set through {@link Props}: `onclick: () => ...` and the like. */
type Listener = (ev: Event) => unknown;

/**
 * Attributes of an element: `text` sets its text, `on…` functions become listeners, a `style`
 * object is assigned to its style; null, undefined and false leave the attribute out, true sets it empty.
 */
export interface Props {
  readonly text?: string;
  readonly style?: Partial<CSSStyleDeclaration>;
  readonly [name: string]: string | number | boolean | null | undefined | Listener | Partial<CSSStyleDeclaration>;
}

/** The SVG elements the page draws (the rest are HTML). */
type SvgTag = 'svg' | 'g' | 'rect' | 'text' | 'line' | 'path' | 'tspan' | 'circle' | 'polyline' | 'title';

const SVG_NS = 'http://www.w3.org/2000/svg';

function build<E extends HTMLElement | SVGElement>(el: E, props: Props | null | undefined, kids: readonly Kid[]): E {
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, kids);
  return el;
}

function append(el: Element, kids: readonly Kid[]): void {
  for (const kid of kids) {
    if (kid === null || kid === undefined || kid === false) continue;
    if (Array.isArray(kid)) append(el, kid);
    else el.append(kid instanceof Node ? kid : String(kid));
  }
}

/** An HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...kids: Kid[]): HTMLElementTagNameMap[K] {
  return build(document.createElement(tag), props, kids);
}

/** An SVG element with attributes and children (`title` is SVG's tooltip, not the page title). */
export function s<K extends SvgTag>(tag: K, props?: Props | null, ...kids: Kid[]): SVGElementTagNameMap[K] {
  return build(document.createElementNS(SVG_NS, tag), props, kids);
}

/** The exact byte count, for tooltips next to the short figure. */
export function exactBytes(n: number): string {
  return formatCount(n) + ' bytes';
}

/** A size in binary units with the exact byte count in its tooltip. */
export function bytes(n: number, cls?: string): HTMLSpanElement {
  return h('span', { title: exactBytes(n), class: cls }, formatBytes(n));
}

function deltaClass(n: number): string | null {
  return n > 0 ? 'delta-up' : n < 0 ? 'delta-down' : null;
}

/** A change in bytes: signed, coloured by direction, exact in the tooltip. */
export function signedBytes(n: number): HTMLSpanElement {
  const plus = n > 0 ? '+' : '';
  return h('span', { title: plus + exactBytes(n), class: deltaClass(n) }, plus + formatBytes(n));
}

/** A change in count: signed and coloured by direction. */
export function signedCount(n: number): HTMLSpanElement {
  return h('span', { class: deltaClass(n) }, (n > 0 ? '+' : '') + formatCount(n));
}

/** A row of labelled figures (the heading of a panel or card); null pairs are skipped. */
export function figures(pairs: ReadonlyArray<readonly [string, Node] | null>): HTMLDivElement {
  return h(
    'div',
    { class: 'figures' },
    pairs.map((p) => (p ? h('div', null, h('span', null, p[0]), p[1]) : null)),
  );
}

/** The message of a failure, for showing in the page. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A section of the page: its anchor id, its title in the section bar, and its element. */
export interface Section {
  readonly id: string;
  readonly title: string;
  readonly el: HTMLElement;
}

/** A titled section of the page with an optional one-paragraph lede. */
export function block(id: string, title: string, lede: string | null, ...content: Kid[]): Section {
  const el = h('section', { class: 'block', id, 'aria-labelledby': id + '-h' }, h('header', null, h('h2', { id: id + '-h' }, title), lede ? h('p', { class: 'lede' }, lede) : null), content);
  return { id, title, el };
}

/** One button of a {@link segmented} control: the value it stands for, its text, extra attributes. */
export interface Choice<T> {
  readonly value: T;
  readonly text: string;
  readonly props?: Props;
}

/** A group of buttons of which exactly one is pressed: how the page switches relations, orders and graphs. */
export function segmented<T>(label: string, choices: ReadonlyArray<Choice<T>>, initial: T, onChoose: (value: T) => void): HTMLDivElement {
  const group = h('div', { class: 'segmented', role: 'group', 'aria-label': label });
  const buttons = choices.map((c) => {
    const b = h('button', { ...c.props, type: 'button', 'aria-pressed': c.value === initial ? 'true' : 'false' }, c.text);
    b.addEventListener('click', () => {
      for (const other of buttons) other.setAttribute('aria-pressed', other === b ? 'true' : 'false');
      onChoose(c.value);
    });
    return b;
  });
  group.append(...buttons);
  return group;
}
