/**
 * The side panel that shows one object or row at a time, with a Back button through what was
 * opened since the panel opened. Escape closes it and returns focus to where it was opened from.
 */
import { errorText, h } from './dom.js';

/** One thing the panel can show; `render` may fetch (the panel says "Loading…" meanwhile). */
export interface View {
  readonly title: string;
  readonly render: () => Node | Promise<Node>;
}

/** The panel and how to use it. */
export interface Inspector {
  /** The panel element, placed once in the page. */
  readonly el: HTMLElement;
  /** Shows `view`, remembering the one before for Back. */
  open(view: View): void;
  /** Replaces the title of the view shown (once a fetched object says what it is). */
  retitle(title: string): void;
}

/** Builds the panel, closed. */
export function createInspector(): Inspector {
  const panel = h('aside', { id: 'inspector', 'aria-labelledby': 'inspector-title', 'aria-hidden': 'true' });
  const title = h('h2', { id: 'inspector-title', tabindex: '-1' });
  const backBtn = h('button', { type: 'button', class: 'plain', onclick: () => back() }, '← Back');
  const closeBtn = h('button', { type: 'button', class: 'plain', 'aria-label': 'Close details', onclick: () => close() }, 'Close');
  const body = h('div', { class: 'body' });
  panel.append(h('div', { class: 'bar' }, backBtn, title, closeBtn), body);
  const history: View[] = [];
  let returnFocus: Element | null = null;
  // The view being shown: a slow fetch that finishes after another view opened must not replace it.
  let shown: object = {};

  function show(view: View): void {
    title.textContent = view.title;
    body.replaceChildren();
    backBtn.hidden = history.length < 2;
    const token = {};
    shown = token;
    const out = view.render();
    if (out instanceof Promise) {
      body.append(h('p', { class: 'loading' }, 'Loading…'));
      out.then(
        (node) => {
          if (shown === token) body.replaceChildren(node);
        },
        (err: unknown) => {
          if (shown === token) body.replaceChildren(h('p', { class: 'error' }, errorText(err)));
        },
      );
    } else body.append(out);
    panel.classList.add('open');
    panel.removeAttribute('aria-hidden');
    title.focus();
  }
  function back(): void {
    if (history.length < 2) return;
    history.pop();
    show(history[history.length - 1]!);
  }
  function close(): void {
    panel.classList.remove('open');
    panel.setAttribute('aria-hidden', 'true');
    history.length = 0;
    if (returnFocus instanceof HTMLElement || returnFocus instanceof SVGElement) {
      if (document.contains(returnFocus)) returnFocus.focus();
    }
    returnFocus = null;
  }
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && panel.classList.contains('open')) {
      ev.preventDefault();
      close();
    }
  });
  return {
    el: panel,
    open(view) {
      if (!panel.classList.contains('open')) {
        history.length = 0;
        returnFocus = document.activeElement;
      }
      history.push(view);
      show(view);
    },
    retitle(text) {
      title.textContent = text;
    },
  };
}
