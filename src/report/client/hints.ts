/**
 * Hints: what to change, largest saving first, each with the bytes at stake, the path to its
 * first object and chips that open the objects involved.
 */
import { formatBytes, formatPercent } from '../../util/format.js';
import type { Page } from './context.js';
import { block, exactBytes, h, type Section } from './dom.js';
import { idChip, pathView } from './objects.js';

/** The hints section, or null when there are none. */
export function hintsBlock(page: Page): Section | null {
  const hints = page.data.hints ?? [];
  if (hints.length === 0) return null;
  const card = h('div', { class: 'card' });
  const sorted = hints.slice().sort((a, b) => b.bytes - a.bytes);
  for (const hint of sorted) {
    const share = Math.min(100, (100 * hint.bytes) / page.heapSize);
    const firstId = hint.objects[0];
    const first = firstId === undefined ? undefined : page.objects.get(firstId);
    card.append(
      h(
        'article',
        { class: 'hint' },
        h(
          'div',
          { class: 'stake' },
          h('div', { class: 'value', title: exactBytes(hint.bytes) }, formatBytes(hint.bytes)),
          h('div', { class: 'of' }, 'at stake · ' + formatPercent(hint.bytes, page.heapSize) + ' % of the heap'),
          h('div', { class: 'meter', 'aria-hidden': 'true' }, h('div', { style: { width: share + '%' } })),
        ),
        h(
          'div',
          null,
          h('h3', null, hint.title),
          h('p', null, hint.advice),
          hint.details.length > 0 ? h('ul', { class: 'details' }, hint.details.map((d) => h('li', null, d))) : null,
          first ? h('div', { style: { marginBottom: '6px' } }, pathView(page, first)) : null,
          hint.objects.length > 0
            ? h(
                'div',
                { class: 'chips' },
                hint.objects.slice(0, 8).map((id) => {
                  const o = page.objects.get(id);
                  return idChip(page, id, (o ? o.kind + ' ' : '') + '@' + id);
                }),
              )
            : null,
        ),
      ),
    );
  }
  return block('hints', 'Hints', 'What to change, largest saving first.', card);
}
