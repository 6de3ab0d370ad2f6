/** The text form of hints, as `heapy hints` prints them. */
import { formatBytes } from '../util/format.js';
import type { Hint } from './hint-model.js';

/** Hints as text: numbered, each with its fix and the objects to look at. */
export function renderHints(hints: readonly Hint[]): string {
  if (hints.length === 0) return 'No hints: no rule found enough bytes or objects at stake.';
  const lines: string[] = [];
  hints.forEach((h, i) => {
    if (i > 0) lines.push('');
    lines.push(`${i + 1}. ${h.title}  [${h.rule}, ${formatBytes(h.bytes)} at stake]`);
    for (const d of h.details) lines.push(`     ${d}`);
    lines.push(`   fix: ${h.advice}`);
    for (const o of h.objects) lines.push(`   look at: ${o.kind} @${o.id} at ${o.path}`);
  });
  return lines.join('\n');
}
