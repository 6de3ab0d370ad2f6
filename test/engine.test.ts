// The heap engine on hand-built graphs: exact dominators, retained sizes, distances, owners,
// and the parser's behaviour on chunk boundaries and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapSnapshot, NO_DISTANCE, NO_NODE, SnapshotParser, SYSTEM_DISTANCE_BASE } from '../src/snapshot/index.js';
import { SnapshotFormatError } from '../src/errors.js';
import { kindTable } from '../src/query/kinds.js';
import { SnapshotBuilder } from './helpers/builder.js';

function load(text: string, chunk = 0): HeapSnapshot {
  const p = new SnapshotParser({ source: 'test' });
  const buf = Buffer.from(text, 'latin1');
  if (chunk <= 0) p.write(buf);
  else for (let i = 0; i < buf.length; i += chunk) p.write(buf.subarray(i, i + chunk));
  return HeapSnapshot.analyze(p.finish());
}

/**
 *   root =shortcut=> G (the global object)
 *   G -> A, G -> B, A -> C, B -> C, C -> D, A -> E, E ~weak~> F
 *   root -> S (system root list) -> X, X -> C (an extra path from outside the user's graph)
 */
function diamond(): SnapshotBuilder {
  return new SnapshotBuilder()
    .node('G', 'object', 'Global', 10)
    .node('A', 'object', 'A', 20)
    .node('B', 'object', 'B', 30)
    .node('C', 'object', 'C', 40)
    .node('D', 'object', 'D', 50)
    .node('E', 'object', 'E', 60)
    .node('F', 'object', 'F', 70)
    .node('S', 'synthetic', '(GC roots)', 0)
    .node('X', 'hidden', 'system / X', 5)
    .edge('root', 'G', 'shortcut', 'global')
    .edge('root', 'S', 'element', 1)
    .edge('G', 'A')
    .edge('G', 'B')
    .edge('A', 'C')
    .edge('B', 'C')
    .edge('C', 'D')
    .edge('A', 'E')
    .edge('E', 'F', 'weak', 'w')
    .edge('S', 'X', 'element', 0)
    .edge('X', 'C', 'internal', 'c');
}

test('dominators, retained sizes and distances on a hand-built graph', () => {
  const b = diamond();
  const o = b.ordinals();
  const s = load(b.toJSON());
  const dom = (k: string) => {
    const d = s.dominator[o.get(k)!]!;
    return d === NO_NODE ? null : [...o.entries()].find(([, v]) => v === d)![0];
  };
  assert.equal(dom('root'), null);
  assert.equal(dom('G'), 'root');
  assert.equal(dom('A'), 'G');
  assert.equal(dom('B'), 'G');
  // C is reached from A and from B, and from X outside the user's graph: that edge does not count
  // (a system root list must not take credit for a user object), so G dominates C.
  assert.equal(dom('C'), 'G');
  assert.equal(dom('D'), 'C');
  assert.equal(dom('E'), 'A');
  // F is only weakly held: it hangs under the root, as in DevTools.
  assert.equal(dom('F'), 'root');
  const ret = (k: string) => s.retainedSize[o.get(k)!];
  assert.equal(ret('D'), 50);
  assert.equal(ret('C'), 90);
  assert.equal(ret('A'), 80);
  assert.equal(ret('B'), 30);
  assert.equal(ret('G'), 10 + 80 + 30 + 90);
  assert.equal(ret('root'), 10 + 20 + 30 + 40 + 50 + 60 + 70 + 5);
  const dist = (k: string) => s.distance[o.get(k)!];
  assert.equal(dist('G'), 1);
  assert.equal(dist('A'), 2);
  assert.equal(dist('C'), 3);
  assert.equal(dist('D'), 4);
  assert.equal(dist('F'), NO_DISTANCE);
  assert.equal(dist('root'), SYSTEM_DISTANCE_BASE);
  assert.equal(dist('X'), SYSTEM_DISTANCE_BASE + 2);
  assert.equal(s.totalSize, 285);
});

test('a chain as long as a linked list does not overflow the stack', () => {
  const b = new SnapshotBuilder().node('G', 'object', 'Global', 1).edge('root', 'G', 'shortcut', 'global');
  let prev = 'G';
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    b.node(`n${i}`, 'object', 'Link', 8).edge(prev, `n${i}`, 'property', 'next');
    prev = `n${i}`;
  }
  const s = load(b.toJSON());
  const o = b.ordinals();
  assert.equal(s.retainedSize[o.get('G')!], 1 + 8 * n);
  assert.equal(s.dominator[o.get('n199999')!], o.get('n199998'));
  assert.equal(s.distance[o.get('n199999')!], n + 1);
});

test('a cycle reachable only through itself is dominated by the root', () => {
  const b = new SnapshotBuilder()
    .node('G', 'object', 'Global', 1)
    .node('P', 'object', 'P', 4)
    .node('Q', 'object', 'Q', 6)
    .edge('root', 'G', 'shortcut', 'global')
    .edge('P', 'Q')
    .edge('Q', 'P');
  const s = load(b.toJSON());
  const o = b.ordinals();
  assert.equal(s.dominator[o.get('P')!], o.get('root'));
  assert.equal(s.dominator[o.get('Q')!], o.get('root'));
  assert.equal(s.distance[o.get('P')!], NO_DISTANCE);
});

test('owners: stores reachable from one object only are attributed to it, shared ones are not', () => {
  const b = new SnapshotBuilder()
    .node('G', 'object', 'Global', 1)
    .node('O', 'object', 'Order', 32)
    .node('P', 'array', '(object properties)', 400)
    .node('H', 'hidden', 'system / Inner', 16)
    .node('O2', 'object', 'Order', 32)
    .node('Q', 'array', '(object elements)', 80)
    .node('M', 'object', 'Map', 24)
    .node('T', 'array', '', 100)
    .edge('root', 'G', 'shortcut', 'global')
    .edge('G', 'O')
    .edge('G', 'O2')
    .edge('G', 'M')
    .edge('O', 'P', 'internal', 'properties')
    .edge('P', 'H', 'internal', 'x')
    .edge('O', 'Q', 'internal', 'elements')
    .edge('O2', 'Q', 'internal', 'elements')
    .edge('M', 'T', 'internal', 'table');
  const s = load(b.toJSON());
  const o = b.ordinals();
  assert.equal(s.owner[o.get('P')!], o.get('O'));
  assert.equal(s.owner[o.get('H')!], o.get('O'), 'ownership passes through a chain of stores');
  assert.equal(s.owner[o.get('Q')!], NO_NODE, 'a store shared by two objects has no owner');
  assert.equal(s.owner[o.get('O')!], NO_NODE);
  const kinds = kindTable(s);
  const kind = (k: string) => kinds.names[kinds.kindOf[o.get(k)!]!];
  assert.equal(kind('P'), 'properties of Order');
  assert.equal(kind('H'), 'internals of Order');
  assert.equal(kind('Q'), '(array)');
  assert.equal(kind('T'), 'table of Map');
  assert.equal(kind('O'), 'Order');
});

test('any chunking of the input gives the same graph', () => {
  const text = diamond().toJSON();
  const whole = load(text);
  for (const chunk of [1, 2, 3, 5, 7, 64]) {
    const s = load(text, chunk);
    assert.deepEqual(s.edgeTo, whole.edgeTo, `chunk ${chunk}`);
    assert.deepEqual(s.nodeSelfSize, whole.nodeSelfSize);
    assert.deepEqual(s.strings, whole.strings);
    assert.deepEqual(s.retainedSize, whole.retainedSize);
  }
});

test('files without detachedness or the optional sections load', () => {
  const text = diamond().toJSON({ omitDetachedness: true }).replace(',\n"locations":[]', '');
  const s = load(text);
  assert.equal(s.nodeCount, 10);
  assert.equal(s.nodeDetachedness, null);
});

test('strings with escapes, unicode and splits across chunks decode exactly', () => {
  const b = new SnapshotBuilder()
    .node('G', 'object', 'Global', 1)
    .node('s1', 'string', 'quote " and \\ backslash', 32)
    .node('s2', 'string', 'caf\u00e9 \u2603 \ud83d\ude00 tab\tnewline\n', 32)
    .edge('root', 'G', 'shortcut', 'global')
    .edge('G', 's1')
    .edge('G', 's2');
  // JSON.stringify leaves non-ASCII as is; V8 writes \uXXXX escapes: produce both forms.
  const raw = b.toJSON();
  const escaped = raw.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  for (const text of [escaped]) {
    for (const chunk of [1, 3, 0]) {
      const s = load(text, chunk);
      const o = b.ordinals();
      assert.equal(s.nodeNameString(o.get('s1')!), 'quote " and \\ backslash');
      assert.equal(s.nodeNameString(o.get('s2')!), 'caf\u00e9 \u2603 \ud83d\ude00 tab\tnewline\n');
    }
  }
});

function expectError(text: string, pattern: RegExp): SnapshotFormatError {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof SnapshotFormatError, `expected SnapshotFormatError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail(`no error for input matching ${pattern}`);
}

test('bad input: truncation, corruption, lying counts', () => {
  const good = diamond().toJSON();
  expectError('', /empty input/);
  expectError('hello world', /expected "\{"/);
  expectError(good.slice(0, good.indexOf('"edges"') + 20), /truncated: input ended inside "edges"/);
  const e1 = expectError(good.replace('"node_count":10', '"node_count":11'), /"nodes" holds 10 nodes but node_count says 11/);
  assert.ok(e1.offset > 0, 'offset is given');
  expectError(good.replace(/"edge_count":(\d+)/, (_m, n: string) => `"edge_count":${Number(n) + 1}`), /nodes own 11 edges in all but edge_count says 12/);
  expectError(good.replace('"nodes":[9,', '"nodes":[9,,'), /separator without a number/);
  expectError(good.replace('"nodes":[9,', '"nodes":[9,x'), /unexpected byte 'x' in "nodes"/);
  expectError(good.replace('"nodes":[9,', '"nodes":[9,-'), /not a non-negative integer/);
  // An edge pointing into the middle of a node record.
  expectError(good.replace(/"edges":\[(\d+),(\d+),(\d+)/, '"edges":[$1,$2,3'), /edge 0 has a type, name or target out of range/);
  expectError(good.replace('"strings":[""', '"strings":["'), /unexpected byte 'g' in "strings"/);
  expectError('{"snapshot":{"meta":{}},"nodes":[]}', /node_fields/);
  expectError('{"nodes":[1,2]}', /comes before "snapshot"/);
});

test('names past the string table: a node or a property edge is an error, an element index is not', () => {
  const json = JSON.parse(diamond().toJSON()) as { nodes: number[]; edges: number[]; strings: string[]; snapshot: { meta: { node_fields: string[]; edge_fields: string[]; edge_types: string[][] } } };
  const meta = json.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const count = json.strings.length;
  const withNode = structuredClone(json);
  withNode.nodes[3 * nf + meta.node_fields.indexOf('name')] = count;
  expectError(JSON.stringify(withNode), new RegExp(`node 3 names string ${count}, past the ${count} strings`));
  const types = meta.edge_types[0]!;
  const firstOf = (type: string) => {
    for (let e = 0; e * ef < json.edges.length; e++) if (types[json.edges[e * ef + meta.edge_fields.indexOf('type')]!] === type) return e;
    throw new Error(`no ${type} edge`);
  };
  const withEdge = structuredClone(json);
  const prop = firstOf('property');
  withEdge.edges[prop * ef + meta.edge_fields.indexOf('name_or_index')] = count + 5;
  expectError(JSON.stringify(withEdge), new RegExp(`edge ${prop} names string ${count + 5}, past the ${count} strings`));
  const withIndex = structuredClone(json);
  withIndex.edges[firstOf('element') * ef + meta.edge_fields.indexOf('name_or_index')] = count + 1000;
  assert.equal(load(JSON.stringify(withIndex)).edgeCount, json.edges.length / ef);
});

test('absurd counts fail fast without allocating', () => {
  const good = diamond().toJSON();
  const lying = good.replace('"node_count":10', '"node_count":900000000000');
  const p = new SnapshotParser({ source: 'lying', totalBytes: Buffer.byteLength(lying) });
  assert.throws(() => p.write(Buffer.from(lying)), /need at least|more than heapy can index/);
  const p2 = new SnapshotParser({ source: 'lying2' });
  assert.throws(() => p2.write(Buffer.from(lying)), /more than heapy can index|cannot allocate/);
});

test('ordinalOfId finds every node and misses absent ids', () => {
  const b = diamond();
  const s = load(b.toJSON());
  for (const [k, ord] of b.ordinals()) assert.equal(s.ordinalOfId(b.id(k)), ord);
  assert.equal(s.ordinalOfId(2), -1);
  assert.equal(s.ordinalOfId(999999), -1);
});

/** A two-node snapshot (a root and one object) whose `nodes` and `edges` arrays are given as text. */
function tiny(nodes: string, edgeCount: number, edges: string): string {
  const meta = {
    node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
    node_types: [['hidden', 'object', 'synthetic'], 'string', 'number', 'number', 'number'],
    edge_fields: ['type', 'name_or_index', 'to_node'],
    edge_types: [['element', 'property'], 'string_or_number', 'node'],
  };
  return `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":2,"edge_count":${edgeCount}},\n"nodes":[${nodes}],\n"edges":[${edges}],\n"strings":["","A"]}`;
}

test('edge counts whose sum wraps past 2^32 onto edge_count fail fast, not walk phantom edges', () => {
  // 2^27 + (2^32 - 2^27 + 1) = 2^32 + 1, which a 32-bit prefix sum stores as 1 = edge_count: the
  // analysis would then walk 2^27 edges that are not in the file (51 s before this check).
  const text = tiny(`2,0,1,0,${2 ** 27},1,1,3,10,${2 ** 32 - 2 ** 27 + 1}`, 1, '1,1,5');
  const t0 = performance.now();
  const err = expectError(text, /node 0 claims 134217728 edges but only 1 of edge_count \(1\) are left/);
  assert.ok(performance.now() - t0 < 500, 'fails in well under a second');
  assert.ok(err.offset > 0, 'names a byte offset');
  // The second node's count alone is what takes the sum past edge_count here.
  expectError(tiny(`2,0,1,0,1,1,1,3,10,${2 ** 32}`, 1, '1,1,5'), /node 1 claims 4294967296 edges but only 0 of edge_count \(1\) are left/);
  assert.equal(load(tiny('2,0,1,0,1,1,1,3,10,0', 1, '1,1,5')).edgeCount, 1);
});

test('a self size past 2^32 loads; one past 2^53 is refused by name', () => {
  assert.equal(load(tiny(`2,0,1,0,1,1,1,3,${2 ** 40},0`, 1, '1,1,5')).selfSize(1), 2 ** 40);
  expectError(tiny('2,0,1,0,1,1,1,3,9007199254740993,0', 1, '1,1,5'), /node 1 has a self size beyond 2\^53/);
  // With sizes already widened to doubles by an earlier node.
  expectError(tiny(`2,0,1,${2 ** 40},1,1,1,3,${2 ** 60},0`, 1, '1,1,5'), /node 1 has a self size beyond 2\^53/);
  expectError(tiny('2,0,1,0,1,7,1,3,10,0', 1, '1,1,5'), /node 1 has type 7, past the 3 node types/);
});

test('bytes quoted from the file are escaped in messages: no raw ESC, NUL or CSI reaches a terminal', () => {
  const good = diamond().toJSON();
  const noControls = (err: SnapshotFormatError) => assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/);
  noControls(expectError(good.replace('"nodes":[9,', '"nodes":[9,\u001b'), /unexpected byte '\\x1b' in "nodes"/));
  noControls(expectError(good.replace('"nodes":[9,', '"nodes":[9,\u0000'), /unexpected byte '\\x00' in "nodes"/));
  noControls(expectError(good.replace('"strings":[""', '"strings":[\u009b'), /unexpected byte '\\x9b' in "strings"/));
  noControls(expectError(good.replace('{"snapshot"', '{\u001b[2J'), /unexpected byte '\\x1b' where a key was expected/));
  // A key name read from the file, with ESC and a newline in it (which would also break the line).
  noControls(expectError(good.replace('{"snapshot"', '{"\u001b[31m\n":1,"\u001b[31m\n":2,"snapshot"'), /key "\\x1b\[31m\\x0a" appears twice/));
  noControls(expectError(good.slice(0, good.indexOf('"nodes"')) + '"\u0007bell":[1,', /truncated: input ended inside "\\x07bell"/));
});
