/**
 * The equivalence relations of guppy's heapy, for V8 heaps: kind (clodo), type, size, referrers
 * (byrcs), via, module and location, producer (allocation site), unity, and their products.
 */
import type { HeapSnapshot } from '../snapshot/index.js';
import { kindTable } from './kinds.js';
import type { Classification, Relation } from './partition.js';
import { referenceStep } from './paths.js';
import { byVia } from './via.js';

export { byVia };

/** Builds a classification from string labels, interning them as numeric keys. */
function byLabel(ords: Uint32Array, labelOf: (ord: number, j: number) => string): Classification {
  const keys = new Float64Array(ords.length);
  const ids = new Map<string, number>();
  const labels: string[] = [];
  for (let j = 0; j < ords.length; j++) {
    const l = labelOf(ords[j]!, j);
    let k = ids.get(l);
    if (k === undefined) {
      k = labels.length;
      labels.push(l);
      ids.set(l, k);
    }
    keys[j] = k;
  }
  return { keys, label: (k) => labels[k] ?? '' };
}

/** guppy's default "clodo": class, or "properties of <class>" for an owned backing store. */
export const byKind: Relation = {
  name: 'kind',
  header: 'Kind (class / dict of class)',
  classify(snap, ords) {
    const { kindOf, names } = kindTable(snap);
    const keys = kindOf instanceof Uint16Array ? new Uint16Array(ords.length) : new Uint32Array(ords.length);
    for (let j = 0; j < ords.length; j++) keys[j] = kindOf[ords[j]!]!;
    return { keys, label: (k) => names[k] ?? '' };
  },
};

/** The V8 node type ("object", "closure", "string", "hidden", ...). */
export const byType: Relation = {
  name: 'type',
  header: 'Type',
  classify(snap, ords) {
    const keys = new Float64Array(ords.length);
    const t = snap.nodeType;
    for (let j = 0; j < ords.length; j++) keys[j] = t[ords[j]!]!;
    return { keys, label: (k) => snap.meta.nodeTypes[k] ?? 'unknown' };
  },
};

/** The individual self size of each object. */
export const bySize: Relation = {
  name: 'size',
  header: 'Individual Size',
  classify(snap, ords) {
    const keys = new Float64Array(ords.length);
    const s = snap.nodeSelfSize;
    for (let j = 0; j < ords.length; j++) keys[j] = s[ords[j]!]!;
    return { keys, label: (k) => String(k).padStart(9) };
  },
};

/** Everything in one class. */
export const byUnity: Relation = {
  name: 'unity',
  header: '<unclassified>',
  classify(_snap, ords) {
    return { keys: new Float64Array(ords.length), label: () => '<Anything>' };
  },
};

/** guppy's byrcs: the set of kinds of the objects that refer to each object (strong edges). */
export const byReferrers: Relation = {
  name: 'referrers',
  header: 'Referrers by Kind (class / dict of class)',
  classify(snap, ords) {
    const { kindOf, names } = kindTable(snap);
    const { firstRetainer } = snap;
    const seen: number[] = [];
    return byLabel(ords, (ord) => {
      seen.length = 0;
      for (let k = firstRetainer[ord]!, end = firstRetainer[ord + 1]!; k < end; k++) {
        if (!snap.retainerIsStrong(k)) continue;
        const r = snap.retainerNode(k);
        if (r === snap.rootOrdinal) continue;
        const kind = kindOf[r]!;
        if (!seen.includes(kind)) seen.push(kind);
      }
      if (seen.length === 0) return '<Nothing>';
      return seen
        .map((k) => names[k]!)
        .sort()
        .join(', ');
    });
  },
};

/**
 * The edge names by which each object is referred to, by their definition: scans each retainer's
 * edges. Quadratic under big arrays and Maps; byVia (via.ts) computes the same labels in one pass,
 * and the tests check one against the other.
 */
export const byViaReference: Relation = {
  name: 'via',
  header: 'Referred Via:',
  classify(snap, ords) {
    const { firstRetainer, firstEdge, edgeTo, edgeType } = snap;
    const weak = snap.types.edgeWeak;
    const names: string[] = [];
    return byLabel(ords, (ord) => {
      names.length = 0;
      for (let k = firstRetainer[ord]!, end = firstRetainer[ord + 1]!; k < end; k++) {
        const r = snap.retainerNode(k);
        for (let e = firstEdge[r]!, ee = firstEdge[r + 1]!; e < ee; e++) {
          if (edgeTo[e] !== ord || edgeType[e] === weak) continue;
          const step = referenceStep(snap, r, e);
          if (!names.includes(step)) names.push(step);
        }
      }
      return names.sort().join(', ');
    });
  },
};

/** Per node: its source location (script id, line, column), from the snapshot's `locations`. */
function locationIndex(snap: HeapSnapshot): Map<number, number> {
  const locs = snap.locations;
  const map = new Map<number, number>();
  if (!locs) return map;
  const lf = snap.meta.locationFields.length;
  const objField = Math.max(0, snap.meta.locationFields.indexOf('object_index'));
  for (let r = 0; r + lf <= locs.length; r += lf) map.set(locs[r + objField]!, r);
  return map;
}

/** A script URL as people read it: a path relative to the working directory when under it. */
function displayScript(url: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const cwd = process.cwd() + '/';
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

/** Script names by script id, found through closures: closure → shared → script → name. */
function scriptNames(snap: HeapSnapshot, locs: Map<number, number>): Map<number, string> {
  const names = new Map<number, string>();
  const lf = snap.meta.locationFields;
  const scriptField = lf.indexOf('script_id');
  if (scriptField < 0 || !snap.locations) return names;
  const child = (ord: number, name: string): number => {
    for (let e = snap.firstEdge[ord]!, end = snap.firstEdge[ord + 1]!; e < end; e++) {
      if (snap.edgeNameString(e) === name) return snap.edgeTo[e]!;
    }
    return -1;
  };
  for (const [ord, r] of locs) {
    if (snap.nodeType[ord] !== snap.types.closure) continue;
    const id = snap.locations[r + scriptField]!;
    if (names.has(id)) continue;
    const shared = child(ord, 'shared');
    let script = shared >= 0 ? child(shared, 'script_or_debug_info') : -1;
    if (script < 0 && shared >= 0) script = child(shared, 'script');
    const name = script >= 0 ? child(script, 'name') : -1;
    if (name >= 0 && snap.nodeType[name] === snap.types.string) names.set(id, displayScript(snap.nodeNameString(name)));
    else if (script >= 0 && !snap.nodeNameString(script).startsWith('system /')) names.set(id, displayScript(snap.nodeNameString(script)));
  }
  return names;
}

function locationRelation(name: string, header: string, withLine: boolean): Relation {
  return {
    name,
    header,
    classify(snap, ords) {
      const locs = locationIndex(snap);
      const scripts = scriptNames(snap, locs);
      const lf = snap.meta.locationFields;
      const sf = lf.indexOf('script_id');
      const lnf = lf.indexOf('line');
      const cf = lf.indexOf('column');
      const data = snap.locations;
      return byLabel(ords, (ord) => {
        const r = locs.get(ord);
        if (r === undefined || !data) return '~module';
        const id = data[r + sf]!;
        const script = scripts.get(id) ?? `<script ${id}>`;
        // Lines and columns are 0-based in the snapshot; editors count from 1.
        return withLine ? `${script}:${data[r + lnf]! + 1}:${data[r + cf]! + 1}` : script;
      });
    },
  };
}

/** The script of closures and of objects whose constructor has a location; `~module` otherwise. */
export const byModule: Relation = locationRelation('module', 'Module', false);
/** Script, line and column of closures and of objects' constructors. */
export const byLocation: Relation = locationRelation('location', 'Location', true);

/** guppy's byprod: the allocation site (function and script line), when allocation tracking was on. */
export const byProducer: Relation = {
  name: 'producer',
  header: 'Producer (line of allocation)',
  classify(snap, ords) {
    const trace = snap.nodeTraceId;
    const tree = snap.traceTree;
    const infos = snap.traceFunctionInfos;
    if (!trace || !tree || !infos) return { keys: new Float64Array(ords.length), label: () => '<no allocation tracking>' };
    const fields = snap.meta.traceFunctionInfoFields;
    const fl = fields.length;
    const nameF = fields.indexOf('name');
    const scriptF = fields.indexOf('script_name');
    const lineF = fields.indexOf('line');
    const byId = new Map<number, number>();
    for (let i = 0; i < tree.length; i++) byId.set(tree.id[i]!, i);
    return byLabel(ords, (ord) => {
      const t = byId.get(trace[ord]!);
      if (t === undefined) return '<unknown>';
      const fi = tree.functionInfo[t]! * fl;
      const fn = snap.string(infos[fi + nameF]!);
      const script = snap.string(infos[fi + scriptF]!);
      const line = infos[fi + lineF]!;
      // V8 writes 0-based lines (and 0 when unknown, after adding 1); show what a reader expects.
      return `${script || '<native>'}:${line > 0 ? line : '?'} ${fn || '(anonymous)'}`;
    });
  },
};

/** All relations by name (for `by(name)` and the CLI's `--by`). */
export const relations: Readonly<Record<string, Relation>> = {
  kind: byKind,
  type: byType,
  size: bySize,
  referrers: byReferrers,
  rcs: byReferrers,
  via: byVia,
  module: byModule,
  location: byLocation,
  producer: byProducer,
  prod: byProducer,
  unity: byUnity,
};

/** The product of relations: objects are equal when they are equal under each (guppy's `&`). */
export function combine(...parts: Relation[]): Relation {
  if (parts.length === 1) return parts[0]!;
  return {
    name: parts.map((p) => p.name).join('&'),
    header: parts.map((p) => p.header.replace(/ \(.*\)$/, '')).join(' & '),
    classify(snap, ords) {
      const cls = parts.map((p) => p.classify(snap, ords));
      return byLabel(ords, (_ord, j) => cls.map((c) => c.label(c.keys[j]!).trim()).join(' & '));
    },
  };
}

/** Resolves a relation name or an `a & b` / `a&b` combination. */
export function relationByName(spec: string): Relation | undefined {
  const names = spec.split('&').map((s) => s.trim().replace(/^by/i, '').toLowerCase());
  const parts = names.map((n) => relations[n]);
  if (parts.some((p) => p === undefined)) return undefined;
  return combine(...(parts as Relation[]));
}
