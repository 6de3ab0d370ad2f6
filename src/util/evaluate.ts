/**
 * The manhole REPL's `eval`: compiles and runs one command in a vm context with a time limit.
 *
 * Node's default REPL eval offers no time limit (`breakEvalOnSigint` needs a real SIGINT, which
 * would hit the whole app). vm's `timeout` option stops a synchronous run with
 * ERR_SCRIPT_EXECUTION_TIMEOUT, so this eval compiles the command itself and runs it with that
 * option. Code after an `await` runs later in a microtask, outside any vm run, so only the
 * synchronous part of a command can be cut off.
 */
import vm from 'node:vm';
import { scanTopLevel, transformTopLevelAwait } from './await-transform.js';

/** Callback the REPL passes to `eval`: an error, or the value to print. */
export type EvalCallback = (err: Error | null, result?: unknown) => void;

/** Options of {@link createManholeEval}. */
export interface ManholeEvalOptions {
  /** Longest synchronous run of one command, in ms; 0 for no limit. */
  readonly timeoutMs: number;
  /** Longest command accepted, in characters (a multi-line command counts all its lines). */
  readonly maxInputChars: number;
  /** node:repl's Recoverable (passed in so that this module does not load node:repl). */
  readonly Recoverable: new (err: Error) => Error;
  /** Wraps every run of user code (used to route `console` and `_` in a shared namespace). */
  readonly runWith?: <T>(fn: () => T) => T;
}

/** An eval function with the signature `repl.start({ eval })` expects. */
export type ManholeEval = (code: string, context: vm.Context, file: string, cb: EvalCallback) => void;

// Lets `await import('node:fs')` work in the REPL, as it does in Node's own REPL. The constant
// appeared in Node 20.? backports; without it dynamic import in the manhole throws.
const importModuleDynamically = (vm as unknown as { constants?: { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } }).constants
  ?.USE_MAIN_CONTEXT_DEFAULT_LOADER;

function compile(source: string, filename: string): vm.Script {
  const options: vm.ScriptOptions = { filename };
  if (importModuleDynamically !== undefined) {
    (options as { importModuleDynamically?: unknown }).importModuleDynamically = importModuleDynamically;
  }
  return new vm.Script(source, options);
}

function syntaxErrorOf(source: string): Error | null {
  try {
    new vm.Script(source);
    return null;
  } catch (err) {
    return err as Error;
  }
}

/**
 * True if a syntax error only means "the command is not finished yet", so the REPL should show
 * the `...` prompt and wait for more lines.
 */
export function isRecoverableSyntaxError(err: unknown, code: string): boolean {
  if (!(err instanceof Error) || err.name !== 'SyntaxError') return false;
  if (err.message === 'Unexpected end of input' || err.message === 'Unterminated template literal') return true;
  if (err.message === 'Invalid or unexpected token') {
    const { unterminated } = scanTopLevel(code);
    return unterminated === 'block-comment' || unterminated === 'string-continuation';
  }
  return false;
}

/** Builds the REPL `eval` used for every manhole connection. */
export function createManholeEval(options: ManholeEvalOptions): ManholeEval {
  const { Recoverable } = options;
  const runWith = options.runWith ?? (<T>(fn: () => T) => fn());
  const runOptions: vm.RunningScriptOptions = { displayErrors: false, breakOnSigint: false };
  if (options.timeoutMs > 0) runOptions.timeout = options.timeoutMs;

  return function manholeEval(code, context, file, cb) {
    if (code.length > options.maxInputChars) {
      cb(new RangeError(`command of ${code.length} characters is longer than the manhole accepts (${options.maxInputChars})`));
      return;
    }
    // An empty line: the REPL prints nothing when the callback gets no value argument.
    if (code.trim() === '') {
      cb(null);
      return;
    }
    let source = code;
    // `{ a: 1 }` typed alone is meant as an object, not a block (Node's REPL does the same).
    if (/^\s*\{/.test(code) && !/;\s*$/.test(code)) {
      const asExpression = `(${code.trim()})\n`;
      if (syntaxErrorOf(asExpression) === null) source = asExpression;
    }
    let script: vm.Script;
    let awaited = false;
    try {
      script = compile(source, file);
    } catch (err) {
      const transformed = /\bawait\b/.test(code) ? transformTopLevelAwait(code) : null;
      if (transformed === null) {
        // Judge completeness without the awaits, whose error V8 reports before "end of input".
        const probe = code.replace(/\bawait\b/g, '');
        const probeErr = probe === code ? err : syntaxErrorOf(probe);
        if (isRecoverableSyntaxError(probeErr, probe)) cb(new Recoverable(err as Error));
        else cb(err as Error);
        return;
      }
      try {
        script = compile(transformed, file);
        awaited = true;
      } catch (err2) {
        cb(err2 as Error);
        return;
      }
    }
    let result: unknown;
    try {
      result = runWith(() => script.runInContext(context, runOptions));
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        cb(timeoutError(options.timeoutMs));
        return;
      }
      cb(asError(err));
      return;
    }
    if (!awaited) {
      cb(null, result);
      return;
    }
    (result as Promise<{ value: unknown } | undefined>).then(
      (wrapped) => cb(null, wrapped?.value),
      (err: unknown) => cb(asError(err)),
    );
  };
}

// The REPL prints a thrown value as "Uncaught <value>", but takes a falsy one (`throw 0`,
// `Promise.reject()`) for success, so those are wrapped. Stack frames below the user's code
// (vm, this eval, the REPL) say nothing to the user and are cut, as Node's own REPL does.
function asError(value: unknown): Error {
  if (!value) return new Error(`Uncaught ${String(value)}`);
  if (typeof value === 'object') {
    const err = value as { stack?: unknown; code?: unknown };
    try {
      if (typeof err.stack === 'string') {
        const cut = err.stack.indexOf('\n    at Script.runInContext');
        if (cut >= 0) err.stack = err.stack.slice(0, cut);
      }
    } catch {
      // a frozen or exotic error: print it as it is
    }
  }
  return value as Error;
}

function timeoutError(ms: number): Error {
  const err = new Error(`command cut off after ${ms} ms (commandTimeoutMs)`);
  err.stack = `Error: ${err.message}`;
  return err;
}

/**
 * Makes errors created by REPL code in `context` show only the user's frames: V8 consults the
 * `Error.prepareStackTrace` of the error's own realm, and frames from `node:vm` down are the
 * manhole's machinery (vm, this eval, the REPL, the socket).
 */
export function installStackTrimming(context: vm.Context): void {
  const ContextError = vm.runInContext('Error', context) as ErrorConstructor;
  if (ContextError.prepareStackTrace !== undefined) return;
  ContextError.prepareStackTrace = (err: Error, frames: NodeJS.CallSite[]) => {
    let head: string;
    try {
      head = Error.prototype.toString.call(err);
    } catch {
      head = 'Error';
    }
    let out = head;
    for (const frame of frames) {
      if (frame.getFileName() === 'node:vm') break;
      out += `\n    at ${String(frame)}`;
    }
    return out;
  };
}

/**
 * The identifiers a piece of REPL input refers to by name: words outside strings, comments and
 * template text, and not after `.` or `?.` (those are properties). Keywords are included and an
 * object literal's keys count as names (a rare false positive); callers look up the names they
 * care about.
 */
export function referencedNames(code: string): Set<string> {
  const names = new Set<string>();
  const n = code.length;
  // Template nesting: each entry is the brace depth at which a `${` opened.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  let prev = '';
  const skipTemplateText = (): void => {
    // i is just after a backtick or a closing `}` of `${`: skip text up to the end or the next `${`.
    while (i < n) {
      const c = code[i]!;
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        return;
      } else if (c === '$' && code[i + 1] === '{') {
        i += 2;
        templates.push(depth);
        depth++;
        return;
      } else i++;
    }
  };
  while (i < n) {
    const c = code[i]!;
    if (c === '/' && code[i + 1] === '/') {
      while (i < n && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < n && code[i] !== c && code[i] !== '\n') i += code[i] === '\\' ? 2 : 1;
      i++;
      prev = 'x';
    } else if (c === '`') {
      i++;
      skipTemplateText();
      prev = 'x';
    } else if (c === '{') {
      depth++;
      i++;
      prev = c;
    } else if (c === '}') {
      depth--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        skipTemplateText();
      }
      prev = 'x';
    } else if (/[A-Za-z_$]/.test(c) || c > '\u007f') {
      const start = i;
      while (i < n && (/[\w$]/.test(code[i]!) || code[i]! > '\u007f')) i++;
      if (prev !== '.') names.add(code.slice(start, i));
      prev = 'x';
    } else if (/\d/.test(c)) {
      while (i < n && /[\w.]/.test(code[i]!)) i++;
      prev = 'x';
    } else {
      if (!/\s/.test(c)) prev = c === '.' && code[i + 1] === '.' && code[i + 2] === '.' ? ',' : c;
      i += c === '.' && code[i + 1] === '.' && code[i + 2] === '.' ? 3 : 1;
      if (c === '?' && code[i] === '.') {
        prev = '.';
        i++;
      }
    }
  }
  return names;
}
