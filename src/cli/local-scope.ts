/**
 * The heapy side of the attach REPL: a vm context in heapy's own process holding `h`, `_` (the
 * last heap taken) and every name the user assigns there, evaluated with the manhole's evaluator
 * (top-level await, declarations that persist, incomplete input continued on the next line).
 *
 * What runs where: input that names `h`, `_` or a name defined here runs in heapy; anything else
 * runs in the target. `.local CODE` and `.target CODE` choose explicitly.
 */
import { Recoverable } from 'node:repl';
import vm from 'node:vm';
import type { RemoteHpy } from '../api/remote.js';
import { createManholeEval, referencedNames } from '../util/evaluate.js';

/** The local side of the attach REPL. */
export interface LocalScope {
  /** True when `code` names something that lives in heapy (h, _, or a name assigned here). */
  owns(code: string): boolean;
  /** Evaluates `code` in heapy; resolves to its value, or rejects with a Recoverable for more input. */
  evaluate(code: string): Promise<unknown>;
  /** The value of a plain expression, for Tab completion (no await, errors give undefined). */
  peek(expression: string): unknown;
  /** The names defined in heapy's scope. */
  names(): string[];
}

// A longest input far beyond anything typed; local evaluation has no time limit (an analysis of a
// large heap may take minutes, and Ctrl-C is how to give up).
const MAX_INPUT = 4 << 20;

/** Makes the local scope around `h`. `_` always reads the last heap `h` took. */
export function localScope(h: RemoteHpy): LocalScope {
  const sandbox: Record<string, unknown> = { h };
  Object.defineProperty(sandbox, '_', { get: () => h.last, enumerable: true, configurable: true });
  // console is there for printing, but naming it must not pull a line into heapy.
  Object.defineProperty(sandbox, 'console', { value: console, enumerable: false, writable: true, configurable: true });
  const context = vm.createContext(sandbox);
  const evaluate = createManholeEval({ timeoutMs: 0, maxInputChars: MAX_INPUT, Recoverable });
  const names = (): string[] => Object.keys(sandbox);
  return {
    owns(code) {
      const own = new Set(names());
      for (const n of referencedNames(code)) if (own.has(n)) return true;
      return false;
    },
    evaluate(code) {
      return new Promise((resolve, reject) => evaluate(code, context, 'heapy', (err, value) => (err ? reject(err) : resolve(value))));
    },
    peek(expression) {
      try {
        return vm.runInContext(expression, context, { timeout: 1000 });
      } catch {
        return undefined;
      }
    },
    names,
  };
}
