/**
 * Tab completion against the target: global names (Runtime.globalLexicalScopeNames plus the
 * properties of globalThis and its prototypes), and `expr.` member names. The object expression
 * is evaluated with throwOnSideEffect, so completing `a.b.` can never run code that changes the
 * target (a getter with side effects just yields no completions).
 */
import type { CdpSession } from './cdp.js';

// The last identifier chain on the line: "foo.bar.ba" → object "foo.bar", partial "ba".
const TAIL = /(?:^|[^\w$.\])])((?:[A-Za-z_$][\w$]*(?:\[\d+\]|\[(?:'[^']*'|"[^"]*")\])*\.)*)([A-Za-z_$][\w$]*)?$/;

// Names in the target gathered by walking the prototype chain; run under throwOnSideEffect.
// Written with concat, not Set.add or push into a Set: V8's side-effect check (Node 20) rejects
// Set.prototype.add even on a temporary set, which would silently disable completion.
function membersExpression(objectExpr: string): string {
  return `(() => {
  const __heapyTarget = (${objectExpr});
  let names = [];
  for (let p = Object(__heapyTarget), depth = 0; p != null && depth < 32; p = Object.getPrototypeOf(p), depth++) {
    names = names.concat(Object.getOwnPropertyNames(p));
  }
  return names;
})()`;
}

/** Completions for `line`, in readline's completer shape: [candidates, the substring they complete]. */
export async function completeRemote(session: CdpSession, line: string, timeoutMs = 2000): Promise<[string[], string]> {
  const m = TAIL.exec(line);
  if (!m) return [[], ''];
  const chain = m[1] ?? '';
  const partial = m[2] ?? '';
  let names: string[];
  if (chain === '') {
    names = await globalNames(session, timeoutMs);
  } else {
    names = await evaluateNames(session, membersExpression(chain.slice(0, -1)), timeoutMs);
  }
  const hits = [...new Set(names)].filter((n) => n.startsWith(partial) && /^[A-Za-z_$][\w$]*$/.test(n)).sort();
  return [hits.map((n) => chain + n), chain + partial];
}

/** Global lexical names (let/const/class at top level) plus globalThis's properties. */
export async function globalNames(session: CdpSession, timeoutMs = 2000): Promise<string[]> {
  const [lexical, props] = await Promise.all([
    session
      .send<{ names: string[] }>('Runtime.globalLexicalScopeNames', {}, { timeoutMs })
      .then((r) => r.names)
      .catch(() => [] as string[]),
    evaluateNames(session, membersExpression('globalThis'), timeoutMs),
  ]);
  return [...lexical, ...props];
}

async function evaluateNames(session: CdpSession, expression: string, timeoutMs: number): Promise<string[]> {
  try {
    const r = await session.send<{ result: { value?: unknown }; exceptionDetails?: unknown }>(
      'Runtime.evaluate',
      { expression, throwOnSideEffect: true, returnByValue: true, silent: true },
      { timeoutMs },
    );
    if (r.exceptionDetails || !Array.isArray(r.result.value)) return [];
    return (r.result.value as unknown[]).filter((x): x is string => typeof x === 'string');
  } catch {
    return []; // completion must never break the prompt
  }
}

/** Member names of a local value (heapy-side `_` and `h`), own and inherited, for local completion. */
export function localNames(value: unknown): string[] {
  const names = new Set<string>();
  for (let p: unknown = value, depth = 0; p !== null && p !== undefined && p !== Object.prototype && depth < 16; p = Object.getPrototypeOf(p), depth++) {
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && !k.startsWith('#')) names.add(k);
  }
  return [...names];
}
