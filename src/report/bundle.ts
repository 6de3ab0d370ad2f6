/**
 * Joins the report page's compiled ES modules (dist/src/report/client/ and the shared formatting
 * module they import) into the one classic script the page may run: its Content-Security-Policy
 * pins a single inline script by hash, and a file opened from disk cannot load modules.
 *
 * It reads only the forms tsc emits for our own code, and refuses anything else with an Error
 * naming the module and line, rather than guess:
 *   import { a, b as c } from './x.js';      (relative specifiers only)
 *   export function f / export async function f / export function* f
 *   export const x = … / export class C …
 *   export {};                               (a module with only types)
 * and drops `//# sourceMappingURL=` lines.
 * Default, namespace and side-effect imports, re-exports, `export let`/`var` (a copied binding
 * would not follow reassignments), `import.meta` and dynamic `import()` are refused, and so are
 * import cycles (modules run once, dependencies first, so a cycle has no order).
 *
 * Each module becomes a function returning its exports, called in dependency order; its imports are
 * `const` bindings taken from the results of the modules before it, so top-level names stay private
 * to their module as in ES modules.
 */

/** Reads a module's source text; the bundler asks for each file it reaches from the entry. */
export type ReadModule = (url: URL) => string;

/** One module as the bundler understands it. */
interface ParsedModule {
  readonly url: URL;
  /** Path under the bundle's root, for messages and the separator comment. */
  readonly name: string;
  /** The source with its import lines removed and `export ` dropped from declarations. */
  readonly body: string;
  readonly exports: readonly string[];
  readonly imports: ReadonlyArray<{ readonly from: URL; readonly names: ReadonlyArray<{ readonly imported: string; readonly local: string }> }>;
}

/** The array the modules' results live in; a module that declares this name is refused. */
const REGISTRY = '__heapyModules';

/** Starts the comment line before each module, naming it (what a reader of the page source looks for). */
export const SEPARATOR = '// module: ';

const IDENT = '[A-Za-z_$][\\w$]*';
const IMPORT_LINE = /^import \{\s*([^}]*?)\s*\} from (['"])([^'"]+)\2;$/;
const IMPORT_NAME = new RegExp(`^(${IDENT})(?: as (${IDENT}))?$`);
const EXPORT_DECL = new RegExp(`^export ((?:async )?function\\*? ?(${IDENT})\\s*\\(|const (${IDENT}) =|class (${IDENT})[ {])`);

function fail(name: string, line: number, what: string): never {
  throw new Error(`report bundle: ${name}:${line}: ${what}`);
}

function parseModule(url: URL, name: string, text: string): ParsedModule {
  const imports: Array<ParsedModule['imports'][number]> = [];
  const exports: string[] = [];
  const out: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const at = i + 1;
    if (/\bimport\s*\(|\bimport\.meta\b/.test(line)) fail(name, at, 'dynamic import() and import.meta cannot be bundled');
    if (new RegExp(`\\b${REGISTRY}\\b`).test(line)) fail(name, at, `the name ${REGISTRY} is the bundle's own`);
    // The map describes the file, not the bundle; left in, it would point the browser at a missing file.
    if (line.startsWith('//# sourceMappingURL=')) out.push('');
    else if (/^import\b/.test(line)) {
      const m = IMPORT_LINE.exec(line);
      if (!m) fail(name, at, `unsupported import (only "import { a, b as c } from './x.js';"): ${line}`);
      const spec = m[3]!;
      if (!/^\.\.?\//.test(spec) || !spec.endsWith('.js')) fail(name, at, `only relative './….js' imports can be bundled: ${spec}`);
      const names = m[1]!.split(',').map((part) => {
        const n = IMPORT_NAME.exec(part.trim());
        if (!n) fail(name, at, `unsupported import specifier '${part.trim()}' (use "import type" for types)`);
        return { imported: n[1]!, local: n[2] ?? n[1]! };
      });
      imports.push({ from: new URL(spec, url), names });
      out.push('');
    } else if (/^export\b/.test(line)) {
      if (line === 'export {};') {
        out.push('');
        return;
      }
      const m = EXPORT_DECL.exec(line);
      if (!m) fail(name, at, `unsupported export (only function, const and class declarations): ${line}`);
      exports.push(m[2] ?? m[3] ?? m[4]!);
      out.push(line.slice('export '.length));
    } else out.push(line);
  });
  return { url, name, body: out.join('\n').trimEnd(), exports, imports };
}

/**
 * The script that runs module `entry` and everything it imports, then calls the entry's export
 * `run` with no arguments. Modules must lie under `root` (their names in messages are relative
 * to it). Throws on any form the module comment does not list, a cycle, or a missing export.
 */
export function bundleModules(entry: URL, run: string, root: URL, read: ReadModule): string {
  const order: ParsedModule[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (url: URL, from: string): void => {
    const key = url.href;
    const seen = state.get(key);
    if (seen === 'done') return;
    if (seen === 'open') throw new Error(`report bundle: import cycle through ${key.slice(root.href.length)} (from ${from})`);
    if (!key.startsWith(root.href)) throw new Error(`report bundle: ${from} imports ${key}, outside ${root.href}`);
    state.set(key, 'open');
    const name = key.slice(root.href.length);
    const mod = parseModule(url, name, read(url));
    for (const dep of mod.imports) visit(dep.from, name);
    state.set(key, 'done');
    order.push(mod);
  };
  visit(entry, 'the entry');
  const index = new Map(order.map((m, i) => [m.url.href, i]));
  const parts = ["(() => {\n'use strict';", `const ${REGISTRY} = [];`];
  order.forEach((mod, i) => {
    const bindings = mod.imports.map((imp) => {
      const j = index.get(imp.from.href)!;
      const dep = order[j]!;
      for (const n of imp.names) if (!dep.exports.includes(n.imported)) throw new Error(`report bundle: ${mod.name} imports '${n.imported}', which ${dep.name} does not export`);
      const list = imp.names.map((n) => (n.local === n.imported ? n.local : `${n.imported}: ${n.local}`)).join(', ');
      return `const { ${list} } = ${REGISTRY}[${j}];`;
    });
    parts.push(`${SEPARATOR}${mod.name}`, `${REGISTRY}[${i}] = (() => {`, ...bindings, mod.body, `return { ${mod.exports.join(', ')} };`, '})();');
  });
  const main = order[order.length - 1]!;
  if (!main.exports.includes(run)) throw new Error(`report bundle: the entry ${main.name} does not export '${run}'`);
  parts.push(`${REGISTRY}[${order.length - 1}].${run}();`, '})();');
  return parts.join('\n') + '\n';
}
