/**
 * Hints about how data is stored: objects whose properties left their in-object slots
 * (dictionary-properties, out-of-line-properties) and equal strings stored many times
 * (duplicate-strings).
 */
import { NO_NODE, type HeapSnapshot } from '../snapshot/index.js';
import { formatBytes, formatCount } from '../util/format.js';
import { plural, type Hint, type HintScan } from './hint-model.js';

/** True when most of an object's named properties hold functions (an API object, not a record). */
function mostlyFunctions(s: HeapSnapshot, o: number): boolean {
  let props = 0;
  let fns = 0;
  const closure = s.types.closure;
  for (let e = s.firstEdge[o]!, end = s.firstEdge[o + 1]!; e < end; e++) {
    if (s.edgeType[e] !== s.types.edgeProperty) continue;
    props++;
    if (s.nodeType[s.edgeTo[e]!] === closure) fns++;
  }
  return props > 0 && fns * 2 > props;
}

/** True when a function refers to the object as its `prototype` (V8 keeps many prototypes in dictionary mode). */
function isPrototype(s: HeapSnapshot, o: number): boolean {
  for (let k = s.firstRetainer[o]!, end = s.firstRetainer[o + 1]!; k < end; k++) {
    const r = s.retainerNode(k);
    if (s.nodeType[r] !== s.types.closure) continue;
    for (let e = s.firstEdge[r]!, ee = s.firstEdge[r + 1]!; e < ee; e++) {
      if (s.edgeTo[e] === o && s.edgeType[e] === s.types.edgeProperty && s.edgeNameString(e) === 'prototype') return true;
    }
  }
  return false;
}

/** dictionary-properties and out-of-line-properties: classes whose instances keep their fields in a separate store. */
export function propertyStores(scan: HintScan, minBytes: number): Hint[] {
  const s = scan.snap;
  const dictName = s.stringTable.indexOf('(object properties)');
  const arrayName = s.stringTable.indexOf('system / PropertyArray');
  if (dictName < 0 && arrayName < 0) return [];
  const groups = new Map<number, { kind: number; dict: boolean; count: number; bytes: number; largest: number }>();
  const { owner, nodeName, nodeType, nodeSelfSize, distance } = s;
  const objectType = s.types.object;
  for (let p = 0; p < s.nodeCount; p++) {
    const o = owner[p]!;
    if (o === NO_NODE) continue;
    const name = nodeName[p];
    if (name !== dictName && name !== arrayName) continue;
    // Global objects keep their properties in a dictionary by design.
    if (!scan.inSet[o] || nodeType[o] !== objectType || distance[o] === 1) continue;
    // Namespaces, prototypes and module exports (mostly functions) are API surface, not records.
    if (mostlyFunctions(s, o) || isPrototype(s, o)) continue;
    const dict = name === dictName;
    const kind = scan.kinds.kindOf[o]!;
    const key = kind * 2 + (dict ? 1 : 0);
    let g = groups.get(key);
    if (!g) {
      g = { kind, dict, count: 0, bytes: 0, largest: o };
      groups.set(key, g);
    }
    g.count++;
    g.bytes += nodeSelfSize[p]!;
    if (s.retainedSize[o]! > s.retainedSize[g.largest]!) g.largest = o;
  }
  const out: Hint[] = [];
  for (const g of groups.values()) {
    if (g.bytes < minBytes) continue;
    const kind = scan.kinds.names[g.kind]!;
    const each = formatBytes(Math.round(g.bytes / g.count));
    const plain = kind === 'Object';
    if (g.dict) {
      out.push({
        rule: 'dictionary-properties',
        title: `${plural(g.count, `${kind} object`)} ${g.count === 1 ? 'is' : 'are'} in dictionary mode: ${formatBytes(g.bytes)} of hash-table property stores (${each} each)`,
        advice: plain
          ? 'These plain objects are used as dictionaries (keys added at run time, or deleted). Use a Map for key/value data; give records a fixed shape (a class, or a literal with every field) so V8 can store fields in-object.'
          : `Assign every field of ${kind} in its constructor, always in the same order, and never \`delete\` one (set it to undefined or null instead). V8 then keeps the fields in-object behind one shared hidden class, the V8 counterpart of Python's __slots__; a deleted field or many fields added later switch each object to a per-object hash table.`,
        bytes: g.bytes,
        count: g.count,
        details: [`property store per object: ${each}; the object itself: ${formatBytes(s.nodeSelfSize[g.largest]!)}`],
        objects: [scan.object(g.largest)],
      });
    } else {
      out.push({
        rule: 'out-of-line-properties',
        title: `${plural(g.count, `${kind} object`)} keep${g.count === 1 ? 's' : ''} fields out of line: ${formatBytes(g.bytes)} of property arrays (${each} each)`,
        advice: `Fields added to ${kind} after its constructor go to a separate PropertyArray (one more object per instance, and one more load per access). Initialise every field in the constructor, so V8 reserves in-object slots for them.`,
        bytes: g.bytes,
        count: g.count,
        details: [],
        objects: [scan.object(g.largest)],
      });
    }
  }
  return out;
}

/**
 * True when a program object holds the string (a JS object, array, Map/Set table, or a closure
 * context), not only V8's machinery: function names, scope infos and compiled code also keep
 * strings, one per function, which no program change would share.
 */
function heldAsData(s: HeapSnapshot, v: number): boolean {
  const ty = s.types;
  for (let k = s.firstRetainer[v]!, end = s.firstRetainer[v + 1]!; k < end; k++) {
    if (!s.retainerIsStrong(k)) continue;
    let r = s.retainerNode(k);
    const o = s.owner[r]!;
    if (o !== NO_NODE) r = o;
    const t = s.nodeType[r];
    if (t === ty.object) {
      const name = s.nodeNameString(r);
      if (!name.startsWith('system / ') || name === 'system / Context') return true;
    }
  }
  return false;
}

/** duplicate-strings: equal strings held as program data many times, with the bytes one copy each would save. */
export function duplicateStrings(scan: HintScan, minBytes: number): Hint[] {
  const s = scan.snap;
  const { nodeType, nodeName, nodeSelfSize } = s;
  const strType = s.types.string;
  // V8 writes each distinct text once in the strings table, so equal contents share a name index;
  // the size tells apart texts longer than the 1024 characters the table keeps.
  const groups = new Map<number, { size: number; count: number; first: number; name: number }[]>();
  for (let v = 0; v < s.nodeCount; v++) {
    if (nodeType[v] !== strType || !scan.inSet[v] || !heldAsData(s, v)) continue;
    const name = nodeName[v]!;
    const size = nodeSelfSize[v]!;
    let list = groups.get(name);
    if (!list) {
      list = [];
      groups.set(name, list);
    }
    let g = list.find((x) => x.size === size);
    if (!g) {
      g = { size, count: 0, first: v, name };
      list.push(g);
    }
    g.count++;
  }
  const dups: { size: number; count: number; first: number; name: number; saved: number }[] = [];
  let saved = 0;
  let copies = 0;
  for (const list of groups.values()) {
    for (const g of list) {
      if (g.count < 2) continue;
      const x = { ...g, saved: (g.count - 1) * g.size };
      dups.push(x);
      saved += x.saved;
      copies += g.count - 1;
    }
  }
  if (saved < minBytes) return [];
  dups.sort((a, b) => b.saved - a.saved);
  const details = dups.slice(0, 5).map((d) => {
    const text = s.string(d.name);
    const shown = JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
    return `${shown} x${formatCount(d.count)} (${formatBytes(d.size)} each, ${formatBytes(d.saved)} to save)`;
  });
  return [
    {
      rule: 'duplicate-strings',
      title: `${plural(copies, 'extra copy')} of ${plural(dups.length, 'string')}: keeping one copy of each would save ${formatBytes(saved)}`.replace('extra copys', 'extra copies'),
      advice:
        'Equal strings stored many times: typically field values from JSON.parse, Buffer#toString or string building, kept per record. Keep one copy per value (a Map from text to the first copy), or store a small number or enum instead of repeated text.',
      bytes: saved,
      count: copies,
      details,
      objects: dups.slice(0, 3).map((d) => scan.object(d.first)),
    },
  ];
}
