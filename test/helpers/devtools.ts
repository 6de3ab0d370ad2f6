/**
 * heapy's engine beside Chrome DevTools' own snapshot code (the npm module heap-snapshot-toolkit)
 * on one snapshot file: the comparisons docs/definitions.md promises, in one place for every test
 * that makes them (generated heaps, real npm programs, Chromium).
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { parse } from 'heap-snapshot-toolkit';
import { loadSnapshotFile, NO_DISTANCE, NO_NODE, type HeapSnapshot } from '../../src/snapshot/index.js';
import { countDifferent, DEVTOOLS_RULES, NO_RULES, referenceDistances } from './devtools-distances.js';

interface DevToolsAggregate {
  count: number;
  self: number;
  name: string;
}

/** The parts of heap-snapshot-toolkit's snapshot object the comparisons read. */
export interface DevToolsSnapshot {
  nodeCount: number;
  totalSize: number;
  retainedSizes: Float64Array;
  dominatorsTree: Uint32Array;
  nodeDistances: Int32Array;
  aggregatesWithFilter(filter: object): Record<string, DevToolsAggregate>;
}

/** The same file loaded by heapy and by DevTools' code. */
export async function loadBoth(file: string): Promise<{ heapy: HeapSnapshot; devtools: DevToolsSnapshot }> {
  const devtools = (await parse(createReadStream(file, 'utf-8'))) as unknown as DevToolsSnapshot;
  const heapy = await loadSnapshotFile(file);
  return { heapy, devtools };
}

/** Count and self size per class name. */
export type ClassTable = Map<string, { count: number; self: number }>;

/**
 * heapy's class table as DevTools builds it: DevTools moves an owned store's size into its owner
 * when the snapshot has user roots (`fold`), and leaves nodes of size 0 out.
 */
export function heapyClassTable(heapy: HeapSnapshot, fold: boolean): ClassTable {
  const size = Float64Array.from(heapy.nodeSelfSize);
  if (fold) {
    for (let i = 0; i < heapy.nodeCount; i++) {
      const o = heapy.owner[i]!;
      if (o === NO_NODE) continue;
      size[o]! += size[i]!;
      size[i] = 0;
    }
  }
  const table: ClassTable = new Map();
  for (let i = 0; i < heapy.nodeCount; i++) {
    if (size[i] === 0) continue;
    const name = heapy.className(i);
    const a = table.get(name) ?? { count: 0, self: 0 };
    a.count++;
    a.self += size[i]!;
    table.set(name, a);
  }
  return table;
}

/** DevTools' class table, with plain objects' property-name classes (`{a, b}`) folded back into `Object`. */
export function devtoolsClassTable(devtools: DevToolsSnapshot): ClassTable {
  const table: ClassTable = new Map();
  for (const agg of Object.values(devtools.aggregatesWithFilter({}))) {
    const name = agg.name.startsWith('{') ? 'Object' : agg.name;
    const a = table.get(name) ?? { count: 0, self: 0 };
    a.count += agg.count;
    a.self += agg.self;
    table.set(name, a);
  }
  return table;
}

/** True when the root has a child that is not synthetic (a global object) or Chromium's DOM trees. */
export function hasUserRoots(s: HeapSnapshot): boolean {
  const root = s.rootOrdinal;
  for (let e = s.firstEdge[root]!; e < s.firstEdge[root + 1]!; e++) {
    const to = s.edgeTo[e]!;
    if (s.nodeType[to] !== s.types.synthetic || s.nodeNameString(to) === '(Document DOM trees)') return true;
  }
  return false;
}

/** What {@link assertMatchesDevTools} found where the two may differ by definition. */
export interface DevToolsDifferences {
  /** Nodes whose distance differs (heapy's is the shorter: see docs/definitions.md). */
  readonly distances: number;
  /** Of those, the nodes that differ when only the WeakMap rule is applied to heapy's search. */
  readonly weakMapDistances: number;
  /** Nodes whose retained size was compared (every node that is not an owned store). */
  readonly retainedCompared: number;
}

/**
 * Asserts everything docs/definitions.md says heapy and DevTools agree on for this snapshot:
 * node count and total, the dominator tree node for node, the class table (owned stores folded as
 * DevTools folds them), the retained size of every node that is not an owned store, and distances:
 * heapy's are the plain shortest strong paths, DevTools' the same search with its documented rules.
 */
export function assertMatchesDevTools(heapy: HeapSnapshot, devtools: DevToolsSnapshot, what: string): DevToolsDifferences {
  assert.equal(heapy.nodeCount, devtools.nodeCount, `${what}: node count`);
  assert.equal(heapy.totalSize, devtools.totalSize, `${what}: total size`);

  let dominators = 0;
  for (let i = 0; i < heapy.nodeCount; i++) {
    const d = heapy.dominator[i] === NO_NODE ? i : heapy.dominator[i];
    if (d !== devtools.dominatorsTree[i]) dominators++;
  }
  assert.equal(dominators, 0, `${what}: nodes with another dominator`);

  const fold = hasUserRoots(heapy);
  const mine = heapyClassTable(heapy, fold);
  const theirs = devtoolsClassTable(devtools);
  assert.deepEqual([...mine.keys()].filter((k) => !theirs.has(k)), [], `${what}: classes only heapy has`);
  assert.deepEqual([...theirs.keys()].filter((k) => !mine.has(k)), [], `${what}: classes only DevTools has`);
  for (const [name, a] of mine) assert.deepEqual(a, theirs.get(name), `${what}: class ${name}`);

  // Without folding (no user roots) every node keeps its size in both, so all are comparable.
  let retainedCompared = 0;
  const wrongRetained: number[] = [];
  for (let i = 0; i < heapy.nodeCount; i++) {
    if (fold && heapy.owner[i] !== NO_NODE) continue;
    retainedCompared++;
    if (heapy.retainedSize[i] !== devtools.retainedSizes[i]) wrongRetained.push(i);
  }
  assert.deepEqual(wrongRetained.slice(0, 10), [], `${what}: ${wrongRetained.length} retained sizes differ`);

  const theirDistances = Uint32Array.from(devtools.nodeDistances, (d) => (d < 0 ? NO_DISTANCE : d));
  const plain = referenceDistances(heapy, NO_RULES);
  assert.equal(countDifferent(heapy.distance, plain), 0, `${what}: heapy's distances are the plain BFS`);
  assert.equal(countDifferent(referenceDistances(heapy, DEVTOOLS_RULES), theirDistances), 0, `${what}: DevTools' distances are its documented rules`);
  let longer = 0;
  for (let i = 0; i < heapy.nodeCount; i++) if (heapy.distance[i]! > theirDistances[i]!) longer++;
  assert.equal(longer, 0, `${what}: heapy's distance is never the longer`);
  return {
    distances: countDifferent(heapy.distance, theirDistances),
    weakMapDistances: countDifferent(referenceDistances(heapy, { ...NO_RULES, weakMapPairs: true }), plain),
    retainedCompared,
  };
}
