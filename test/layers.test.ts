// The architecture as a test: imports between src/ folders run one way (STYLE.md, convention 1).
// Each folder lists the folders its modules may import; the table itself must have no cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src', import.meta.url));

// Lowest floors first. `errors` is src/errors.ts, `index` the package entry src/index.ts.
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  util: [],
  errors: [],
  snapshot: ['errors', 'util'],
  query: ['snapshot', 'errors', 'util'],
  analyses: ['query', 'snapshot', 'errors', 'util'],
  attach: ['errors', 'util'],
  capture: ['attach', 'snapshot', 'errors', 'util'],
  monitor: ['attach', 'errors', 'util'],
  export: ['monitor', 'query', 'snapshot', 'errors', 'util'],
  api: ['analyses', 'query', 'snapshot', 'capture', 'attach', 'errors', 'util'],
  manhole: ['api', 'errors', 'util'],
  report: ['api', 'analyses', 'query', 'snapshot', 'monitor', 'errors', 'util'],
  cli: ['index', 'export', 'report', 'manhole', 'api', 'analyses', 'query', 'snapshot', 'capture', 'attach', 'monitor', 'errors', 'util'],
  index: ['api', 'manhole', 'monitor', 'analyses', 'query', 'snapshot', 'errors'],
};

function folderOf(file: string): string {
  const rel = relative(src, file);
  const top = rel.split(/[\\/]/)[0]!;
  return top.replace(/\.(c|m)?(ts|js)$/, '');
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(c|m)?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative specifiers of a module's static imports, re-exports and literal dynamic imports. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.[^']+)'|(?:^|\n)\s*import\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

test('the import scanner sees static, re-exported and dynamic imports', () => {
  const text = "import { a } from './a.js';\nexport { b } from '../b/b.js';\nimport type {\n  C,\n} from './c.js';\nconst d = await import('./d.js');\nimport 'node:fs';\nimport './e.js';";
  assert.deepEqual(importsOf(text), ['./a.js', '../b/b.js', './c.js', './d.js', './e.js']);
});

test('the layer table has no cycle', () => {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    assert.notEqual(state.get(f), 'open', `cycle: ${[...path, f].join(' -> ')}`);
    state.set(f, 'open');
    for (const g of MAY_IMPORT[f] ?? []) visit(g, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of Object.keys(MAY_IMPORT)) visit(f, []);
});

test('no module imports a higher floor', () => {
  const bad: string[] = [];
  for (const file of sources(src)) {
    const from = folderOf(file);
    const allowed = MAY_IMPORT[from];
    assert.ok(allowed, `src/${relative(src, file)}: folder '${from}' is not in the layer table`);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const to = folderOf(resolve(dirname(file), spec));
      if (to !== from && !allowed.includes(to)) bad.push(`src/${relative(src, file)} imports ${spec} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(bad, []);
});
