// The report page's bundler (src/report/bundle.ts) on small in-memory module graphs: order,
// private top-level scopes, renamed imports; every form it does not understand is an Error
// naming the module; and the real page script holds the client and the formatting module only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { runInNewContext, Script } from 'node:vm';
import { bundleModules, SEPARATOR } from '../src/report/bundle.js';

const root = new URL('file:///virtual/');

/** Bundles `files` (path under the root → source) from `main.js`, calling its `start`. */
function bundle(files: Record<string, string>): string {
  return bundleModules(new URL('main.js', root), 'start', root, (url) => {
    const text = files[url.href.slice(root.href.length)];
    if (text === undefined) throw new Error(`no file ${url.href}`);
    return text;
  });
}

test('modules run once, dependencies first, each with its own top-level scope', () => {
  const script = bundle({
    'main.js': ["import { twice } from './lib/b.js';", "import { name as aName, reveal as aSecret } from './a.js';", 'const secret = "main";', 'export function start() {', '    out.push(twice(aName), aSecret(), secret);', '}'].join('\n'),
    'a.js': ['const secret = "a";', 'out.push("a runs");', 'export const name = "A";', 'export function reveal() { return secret; }'].join('\n'),
    'lib/b.js': ["import { name } from '../a.js';", 'const secret = "b";', 'out.push("b runs after " + name);', 'export function twice(s) { return s + s + secret; }', 'export {};'].join('\n'),
  });
  const out: unknown[] = [];
  runInNewContext(script, { out });
  assert.deepEqual(out, ['a runs', 'b runs after A', 'AAb', 'a', 'main']);
  assert.deepEqual(
    script.split('\n').filter((l) => l.startsWith(SEPARATOR)),
    [SEPARATOR + 'a.js', SEPARATOR + 'lib/b.js', SEPARATOR + 'main.js'],
  );
});

test('imported bindings are constants, as in ES modules', () => {
  const script = bundle({
    'main.js': ["import { n } from './a.js';", 'export function start() {', '    n = 2;', '}'].join('\n'),
    'a.js': 'export const n = 1;',
  });
  assert.throws(() => runInNewContext(script, {}), /constant/);
});

test('every form outside the supported ones is refused with the module and line', () => {
  const refused: Array<[string, RegExp]> = [
    ['export default function start() {}', /main\.js:1: unsupported export/],
    ["import * as a from './a.js';\nexport function start() {}", /main\.js:1: unsupported import/],
    ["import a from './a.js';\nexport function start() {}", /main\.js:1: unsupported import/],
    ["import './a.js';\nexport function start() {}", /main\.js:1: unsupported import/],
    ["import {} from './a.js';\nexport function start() {}", /unsupported import specifier '' \(use "import type" for types\)/],
    ["import { a } from 'a';\nexport function start() {}", /only relative/],
    ["import { a } from './a';\nexport function start() {}", /only relative/],
    ['export let n = 1;\nexport function start() {}', /main\.js:1: unsupported export/],
    ['const n = 1;\nexport { n };\nexport function start() {}', /main\.js:2: unsupported export/],
    ["export * from './a.js';\nexport function start() {}", /main\.js:1: unsupported export/],
    ['export const { a } = {};\nexport function start() {}', /main\.js:1: unsupported export/],
    ["export function start() {\n    return import('./a.js');\n}", /main\.js:2: dynamic import/],
    ['export function start() {\n    return import.meta.url;\n}', /main\.js:2: dynamic import\(\) and import\.meta/],
    ['const __heapyModules = 1;\nexport function start() {}', /the bundle's own/],
    ["import { missing } from './a.js';\nexport function start() {}", /main\.js imports 'missing', which a\.js does not export/],
    ["import { n } from '../outside.js';\nexport function start() {}", /outside file:\/\/\/virtual\//],
    ['export function begin() {}', /does not export 'start'/],
  ];
  for (const [main, message] of refused) {
    assert.throws(() => bundle({ 'main.js': main, 'a.js': 'export const n = 1;' }), message, main);
  }
});

test('an import cycle is refused', () => {
  assert.throws(
    () =>
      bundle({
        'main.js': "import { a } from './a.js';\nexport function start() {}",
        'a.js': "import { b } from './b.js';\nexport const a = 1;",
        'b.js': "import { a } from './a.js';\nexport const b = 1;",
      }),
    /import cycle through a\.js \(from b\.js\)/,
  );
});

test('the page script is the report client and the formatting module, nothing server-side', () => {
  const dist = new URL('../src/', import.meta.url);
  const script = bundleModules(new URL('report/client/main.js', dist), 'start', dist, (url) => readFileSync(url, 'utf8'));
  new Script(script); // parses as a classic script
  const modules = script
    .split('\n')
    .filter((l) => l.startsWith(SEPARATOR))
    .map((l) => l.slice(SEPARATOR.length))
    .sort();
  const client = readdirSync(new URL('report/client/', dist))
    .filter((f) => f.endsWith('.js'))
    .map((f) => `report/client/${f}`);
  assert.deepEqual(modules, [...client, 'util/format.js'].sort());
  assert.ok(!script.includes('sourceMappingURL'));
});
