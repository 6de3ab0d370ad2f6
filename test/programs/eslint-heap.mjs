// A process that has linted real code with eslint (the npm package, its recommended rules) and
// keeps the linter and its parsed source alive: a heap full of AST nodes, tokens and the WeakMaps
// eslint caches them in. Writes a heap snapshot to the path in argv[2].
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import { Linter } from 'eslint';

const require = createRequire(import.meta.url);
const js = require('@eslint/js');
// eslint's own source as the input: real code of a few thousand lines.
const lib = join(dirname(require.resolve('eslint')), '..');
const files = ['lib/linter/linter.js', 'lib/rules/indent.js', 'lib/languages/js/source-code/source-code.js'];
const linter = new Linter({ configType: 'flat' });
const config = [js.configs.recommended, { languageOptions: { ecmaVersion: 2024, sourceType: 'commonjs' } }];
globalThis.lintResults = files.map((f) => linter.verify(readFileSync(join(lib, f), 'utf8'), config, { filename: f }));
globalThis.keptLinter = linter;
globalThis.keptSource = linter.getSourceCode();
v8.writeHeapSnapshot(process.argv[2]);
