/**
 * Advice from a heap: rules that read a snapshot and say what to change in the program, in V8's
 * terms, each with the bytes at stake and the objects to look at.
 *
 * Rules:
 * - dictionary-properties: instances of one class whose properties sit in a hash table
 *   (`(object properties)`, a NameDictionary), after `delete` or many late additions;
 * - out-of-line-properties: fields kept in a separate `system / PropertyArray` because they were
 *   added after the constructor;
 * - duplicate-strings: equal strings stored many times, with the bytes one copy each would save;
 * - closure-context: function contexts that keep a large object alive for closures that may not
 *   even use it (all closures of one call share one context);
 * - large-collection: arrays, Maps and Sets with many entries (and, given a base snapshot, the
 *   ones that grew);
 * - pending-promises / async-frames: promises waiting with callbacks attached, and suspended
 *   async functions or generators, in large numbers;
 * - timers / listeners: Timeout objects piling up, and events with many listeners;
 * - detached: DOM nodes the embedder marks detached (Chromium snapshots).
 *
 * The rules live by family in hint-storage.ts, hint-retention.ts and hint-pending.ts; what a hint
 * is and the state they share, in hint-model.ts; the text form, in hint-text.ts.
 */
import type { HeapSnapshot } from '../snapshot/index.js';
import { HintScan, type Hint, type HintOptions } from './hint-model.js';
import { asyncWork, timersAndListeners } from './hint-pending.js';
import { closureContexts, collections, detached } from './hint-retention.js';
import { duplicateStrings, propertyStores } from './hint-storage.js';
import { renderHints } from './hint-text.js';
import { Printable } from '../util/printable.js';

export type { Hint, HintObject, HintOptions, HintRule } from './hint-model.js';
export { renderHints } from './hint-text.js';

// The defaults documented on HintOptions.
const DEFAULT_MIN_BYTES = 64 * 1024;
const DEFAULT_MIN_COUNT = 1000;
const DEFAULT_MIN_LISTENERS = 50;

/**
 * Runs every rule over the snapshot, or over `members` only (the ordinals of a set), and returns
 * the hints with the most bytes at stake first.
 */
export function findHints(snap: HeapSnapshot, members: ArrayLike<number> | null = null, options: HintOptions = {}): Hint[] {
  const minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
  const minCount = options.minCount ?? DEFAULT_MIN_COUNT;
  const minListeners = options.minListeners ?? DEFAULT_MIN_LISTENERS;
  const scan = new HintScan(snap, members);
  const hints = [
    ...propertyStores(scan, minBytes),
    ...duplicateStrings(scan, minBytes),
    ...closureContexts(scan, minBytes),
    ...collections(scan, minBytes, minCount, options.base),
    ...asyncWork(scan, minCount),
    ...timersAndListeners(scan, minCount, minListeners),
    ...detached(scan),
  ];
  return hints.sort((a, b) => b.bytes - a.bytes);
}

/** The result of `set.hints()`: the hints, printed as `heapy hints` prints them. */
export class HintList extends Printable<readonly Hint[]> {
  /** The hints, most bytes at stake first. */
  readonly hints: readonly Hint[];
  constructor(hints: readonly Hint[]) {
    super();
    this.hints = hints;
  }
  /** The hints numbered, each with its fix and the objects to look at (as `heapy hints` prints). */
  override toString(): string {
    return renderHints(this.hints);
  }
  /** The hints alone, as plain data. */
  override toJSON(): readonly Hint[] {
    return this.hints;
  }
}
