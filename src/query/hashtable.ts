/**
 * V8's ordered hash tables: the backing store every Map and Set reaches through its `table` edge
 * (OrderedHashMap, OrderedHashSet in V8's src/objects/ordered-hash-table.h).
 *
 * A table is a FixedArray of [elements, deleted, buckets B, bucket heads × B, entries × 2B], an
 * entry being (key, value, chain) in a Map and (key, chain) in a Set, so its length is 3 + 7B or
 * 3 + 5B slots and entry 0 starts at slot 3 + B. The snapshot shows slots as internal edges named
 * by their index, but only slots that hold heap objects have one (a Smi key or value has no edge),
 * so the layout cannot be read off the edges: it comes from the self size, a 16-byte header and
 * 8-byte slots in Node, 8 and 4 with pointer compression (Chrome).
 */
import type { HeapSnapshot } from '../snapshot/index.js';

/** Which table: a Map's (three slots an entry) or a Set's (two). */
export type HashTableKind = 'Map' | 'Set';

// Slots before the buckets: element count, deleted count, bucket count.
const HEADER_SLOTS = 3;
// [header bytes, slot bytes], Node's layout first: a Set's size can fit both (a Map's never does).
const WORD_LAYOUTS = [
  [16, 8],
  [8, 4],
] as const;
// A slot's name is its index: digits only (internal edges also have names such as `map`).
const SLOT_NAME = /^\d+$/;

// Slots an entry: key, value, chain link in a Map; key, chain link in a Set.
const MAP_ENTRY_SLOTS = 3;
const SET_ENTRY_SLOTS = 2;

function entrySlots(kind: HashTableKind): number {
  return kind === 'Map' ? MAP_ENTRY_SLOTS : SET_ENTRY_SLOTS;
}

/** The slot index edge `e` of a table stands for, or -1 when it is not a slot edge (not internal, or named). */
export function tableSlot(snap: HeapSnapshot, e: number): number {
  if (snap.edgeType[e] !== snap.types.edgeInternal) return -1;
  const name = snap.edgeNameString(e);
  return SLOT_NAME.test(name) ? Number(name) : -1;
}

/**
 * The slot where entry 0 of `table` starts, from its self size; -1 when the size fits neither
 * word width with at least one bucket (V8 never gives a table with entries zero buckets; a
 * WeakMap's EphemeronHashTable, 3 + 2 × a power of two slots, never fits a Map's 3 + 7B).
 */
export function entryStart(snap: HeapSnapshot, table: number, kind: HashTableKind): number {
  const size = snap.nodeSelfSize[table]!;
  const perBucket = 1 + 2 * entrySlots(kind);
  for (const [header, word] of WORD_LAYOUTS) {
    const length = (size - header) / word;
    if (Number.isInteger(length) && length >= HEADER_SLOTS + perBucket && (length - HEADER_SLOTS) % perBucket === 0) {
      return HEADER_SLOTS + (length - HEADER_SLOTS) / perBucket;
    }
  }
  return -1;
}

/**
 * Entries of a Map or Set table that hold at least one heap object (an entry of Smis alone has no
 * edge to count). When the size fits no layout, the slot edges divided by the slots an entry has
 * besides its chain link.
 */
export function countEntries(snap: HeapSnapshot, table: number, kind: HashTableKind): number {
  const slots = entrySlots(kind);
  const start = entryStart(snap, table, kind);
  const seen = new Set<number>();
  let edges = 0;
  for (let e = snap.firstEdge[table]!, end = snap.firstEdge[table + 1]!; e < end; e++) {
    const slot = tableSlot(snap, e);
    if (slot < 0) continue;
    edges++;
    if (start >= 0 && slot >= start) seen.add(Math.floor((slot - start) / slots));
  }
  return start >= 0 ? seen.size : Math.ceil(edges / (slots - 1));
}

/**
 * Tells the value slots of Map tables from their key slots, reading each table's layout once
 * (a path walk asks once per step, thousands of times per table). A table whose size fits no
 * layout (a WeakMap's) falls back to a neighbour test: a slot is a value when the slot before it
 * has an edge, which holds for object keys only.
 */
export class MapSlots {
  private readonly snap: HeapSnapshot;
  private readonly starts = new Map<number, number>();
  private readonly filled = new Map<number, Set<number>>();
  constructor(snap: HeapSnapshot) {
    this.snap = snap;
  }

  /** True when slot `slot` of Map table `table` holds a value rather than a key. */
  isValue(table: number, slot: number): boolean {
    let start = this.starts.get(table);
    if (start === undefined) {
      start = entryStart(this.snap, table, 'Map');
      this.starts.set(table, start);
    }
    if (start >= 0 && slot >= start) return (slot - start) % MAP_ENTRY_SLOTS === 1;
    let filled = this.filled.get(table);
    if (!filled) {
      filled = new Set();
      const s = this.snap;
      for (let e = s.firstEdge[table]!, end = s.firstEdge[table + 1]!; e < end; e++) {
        const n = tableSlot(s, e);
        if (n >= 0) filled.add(n);
      }
      this.filled.set(table, filled);
    }
    return filled.has(slot - 1);
  }
}
