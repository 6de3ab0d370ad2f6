// A process that has type-checked a small project with the TypeScript compiler (the npm package
// `typescript`, whose compiler is one 9 MB script) and keeps the program alive: the shape of heap
// that made V8 11.3 stall for minutes inside a heap snapshot. Prints {"pid":..,"heapUsed":..}.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const ts = require('typescript');
const files = {
  '/app/main.ts': "import { total } from './lib';\nexport const t: number = total([1, 2, 3]);\n",
  '/app/lib.ts': 'export function total(xs: number[]): number { return xs.reduce((a, b) => a + b, 0); }\n',
};
const options = { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, noEmit: true };
const host = ts.createCompilerHost(options);
const read = host.readFile.bind(host);
const exists = host.fileExists.bind(host);
host.readFile = (f) => files[f] ?? read(f);
host.fileExists = (f) => f in files || exists(f);
host.getSourceFile = ((orig) => (f, lang) => (f in files ? ts.createSourceFile(f, files[f], lang) : orig(f, lang)))(host.getSourceFile.bind(host));
const program = ts.createProgram(Object.keys(files), options, host);
const diagnostics = ts.getPreEmitDiagnostics(program);
globalThis.keptProgram = program;
process.stdout.write(JSON.stringify({ pid: process.pid, diagnostics: diagnostics.length, heapUsed: process.memoryUsage().heapUsed }) + '\n');
setInterval(() => {}, 1000);
