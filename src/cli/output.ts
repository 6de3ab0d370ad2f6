/**
 * Printing a partition the way every command that shows one does: guppy's table, or JSON; and
 * writing a command's output file.
 */
import type { HeapSet } from '../api/index.js';
import { writeFailedError } from '../errors.js';
import { writeFileReplacing } from '../util/safe-write.js';
import { printJson } from './json.js';

/** Writes a command's output file (plot, graph, alloc page, profile): private, 0600, renamed into place. */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  try {
    writeFileReplacing(path, data);
  } catch (err) {
    throw writeFailedError(path, err);
  }
}

/**
 * Writes `set`'s partition to stdout: the table (`limit` rows, Infinity for all), or with `json`
 * the rows as data after the fields of `about` (which file or process, node counts).
 */
export function printPartition(set: HeapSet, limit: number, json: boolean, about: Record<string, unknown>): void {
  if (!json) {
    process.stdout.write(set.render({ limit }).replace("'_.more'", "'--top 0'") + '\n');
    return;
  }
  const p = set.partition;
  const rows = limit === Infinity ? p.rows : p.rows.slice(0, limit);
  printJson('partition', {
    ...about,
    relation: set.relation.name,
    header: p.header,
    count: p.count,
    size: p.size,
    rows: rows.map((r, index) => ({ index, label: r.label.trim(), count: r.count, size: r.size })),
    // byId keeps only the largest objects as rows, but every object is a row of the table.
    moreRows: (set.relation.name === 'id' ? p.count : p.rows.length) - rows.length,
  });
}
