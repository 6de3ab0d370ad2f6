// A process that has type-checked a small project with the TypeScript compiler (the npm package
// `typescript`) and keeps the program and its type checker alive. The project brings its own
// minimal lib instead of TypeScript's lib.*.d.ts, which would make the heap ~220 MB (measured)
// instead of a few tens. Writes a heap snapshot to the path in argv[2].
import { createRequire } from 'node:module';
import inspector from 'node:inspector';
import v8 from 'node:v8';
const require = createRequire(import.meta.url);
const ts = require('typescript');
const lib = ['Array<T> { length: number; [n: number]: T; reduce<U>(f: (a: U, b: T) => U, init: U): U }', 'Boolean {}', 'Function {}', 'IArguments {}', 'Number { toFixed(d?: number): string }', 'Object {}', 'RegExp {}', 'String { length: number }', 'CallableFunction {}', 'NewableFunction {}']
  .map((i) => `interface ${i}\n`)
  .join('');
const files = {
  '/app/lib.d.ts': lib,
  '/app/main.ts': 'const t: number = total([new Order(1, 2), new Order(3, 4)]);\nconst s: string = t.toFixed(2);\n',
  '/app/orders.ts':
    'class Order { constructor(readonly id: number, readonly price: number) {} }\n' +
    'function total(xs: Order[]): number { return xs.reduce((a, o) => a + o.price, 0); }\n' +
    'const late: number = total([]) + new Order(5, 6).price;\n',
};
const options = { strict: true, noLib: true, types: [], target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, noEmit: true };
const host = ts.createCompilerHost(options);
host.readFile = (f) => files[f];
host.fileExists = (f) => f in files;
host.getSourceFile = (f, lang) => (f in files ? ts.createSourceFile(f, files[f], lang) : undefined);
const program = ts.createProgram(Object.keys(files), options, host);
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) throw new Error(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => '/', getNewLine: () => '\n' }));
globalThis.keptProgram = program;
globalThis.keptChecker = program.getTypeChecker();
// Line ends for every script first, or V8 11.3 stalls for minutes inside the snapshot of a
// process that loaded the 9 MB compiler (see src/capture/line-ends.ts).
const session = new inspector.Session();
session.connect();
session.post('Debugger.enable');
session.post('Debugger.disable');
session.disconnect();
v8.writeHeapSnapshot(process.argv[2]);
