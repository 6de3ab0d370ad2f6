// DOT labels built from hostile heap names (newlines, Graphviz escapes, control bytes) and a
// Graphviz renderer that fails: `heapy report` draws what it can and says what it left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backrefGraph, dotToSvg, toDot } from '../src/analyses/graph.js';
import { graphSections } from '../src/report/analyses.js';
import { kindTable } from '../src/query/kinds.js';
import { loadSnapshotFile } from '../src/snapshot/index.js';
import { cliPath, makeSnapshot, testDir } from './helpers/snapshots.js';

async function oddTargets() {
  const snap = await loadSnapshotFile(makeSnapshot('odd-names.mjs'));
  const kinds = kindTable(snap);
  const ords: number[] = [];
  for (let v = 0; v < snap.nodeCount; v++) if (kinds.names[kinds.kindOf[v]!] === 'OddTarget') ords.push(v);
  assert.equal(ords.length, 9, 'one OddTarget per odd name');
  return { snap, ords };
}

test('DOT labels from names like "\\n @1": no heap text becomes a line break or an escape', async () => {
  const { snap, ords } = await oddTargets();
  const dot = toDot(backrefGraph(snap, ords, { depth: 2, maxNodes: 40 }), 'odd \n @1 \\l title');
  assert.doesNotMatch(dot, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no raw control bytes');
  assert.doesNotMatch(dot, /label="\\[nlr]/, 'no label starts with a line break');
  // The property "\n @1" reads escaped in the holder's preview, and the title's newline too.
  assert.match(dot, /\{\\\\x0a @1, \\\\x0a @1 value, /);
  assert.match(dot, /label="odd \\\\x0a @1 \\\\l title"/, "Graphviz's own escapes (\\l) arrive as text");
  // Rendered three times in one instance: the crash came on the second.
  for (let i = 0; i < 3; i++) assert.match(await dotToSvg(dot), /<\/svg>\s*$/);
});

test('dotToSvg recovers from an instance a bad label broke', async () => {
  // A node label that starts with a line break breaks @viz-js/viz 3.x on the following render.
  const bad = 'digraph { a [label="\\n @1"]; }';
  for (let i = 0; i < 4; i++) assert.match(await dotToSvg(bad), /<svg/);
  assert.match(await dotToSvg('digraph { b; }'), /<svg/);
});

test('graphSections leaves out a graph the renderer fails on, with a note', async () => {
  const { snap, ords } = await oddTargets();
  let calls = 0;
  const sections = await graphSections(snap, [{ ord: ords[0]!, reason: 'first' }, { ord: ords[1]!, reason: 'second' }], async (dot) => {
    if (calls++ === 0) throw new Error('table index is out of bounds');
    return dotToSvg(dot);
  });
  assert.equal(sections.length, 2);
  assert.equal(sections[0]!.svg, '');
  assert.equal(sections[0]!.note, 'This graph is left out: table index is out of bounds.');
  assert.match(sections[1]!.svg, /<svg/);
  assert.equal(sections[1]!.note, undefined);
});

test('heapy report on a heap of odd names draws its graphs', () => {
  const out = join(testDir(), 'odd-names.html');
  const r = spawnSync(process.execPath, [cliPath, 'report', makeSnapshot('odd-names.mjs'), '-o', out], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /OddTarget @\d+/);
  assert.doesNotMatch(html, /This graph is left out/);
});
