/**
 * Top-level `await` for the manhole's REPL.
 *
 * The manhole runs each command through its own `eval` (so that vm's `timeout` can cut off a
 * synchronous infinite loop), which means Node's built-in await support (an internal module that
 * cannot be imported) is not available. This is a small, dependency-free replacement: a lexical
 * scanner finds the top-level statements of the input, and the input is rewritten into an async
 * arrow function whose declarations become assignments to the REPL's global object and whose last
 * expression becomes the result.
 */
import vm from 'node:vm';

/** What a lexical scan of REPL input found at bracket depth 0. */
export interface TopLevelScan {
  /** Offsets of `;` characters outside any bracket, string, comment or template. */
  readonly semicolons: number[];
  /** Offsets of line feeds outside any bracket, string, comment or template. */
  readonly newlines: number[];
  /** Offsets of `,` characters outside any bracket, string, comment or template. */
  readonly commas: number[];
  /** Open brackets left at the end of the input (0 when balanced). */
  readonly openDepth: number;
  /** What the input ends inside of, if it ends inside a construct that can continue on the next line. */
  readonly unterminated: 'block-comment' | 'template' | 'string-continuation' | null;
}

// Keywords after which a `/` starts a regular expression rather than a division.
const regexAfterWord = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'await', 'yield',
]);
// Punctuation after which a `/` starts a regular expression.
const regexAfterPunct = '(,=:[!&|?{};+-*%<>~^';

function isIdentChar(c: string): boolean {
  return /[\w$]/.test(c) || c > '\u007f';
}

/**
 * Scans JavaScript source well enough to know bracket depth, strings, template literals (with
 * nested `${}`), comments and regular-expression literals. It is not a parser: it only reports
 * where top-level statement separators can be.
 */
export function scanTopLevel(code: string): TopLevelScan {
  const semicolons: number[] = [];
  const newlines: number[] = [];
  const commas: number[] = [];
  // Each entry is an open bracket; 't' marks a `${` inside a template literal.
  const stack: string[] = [];
  let unterminated: TopLevelScan['unterminated'] = null;
  // Last significant (non-space, non-comment) character and the word it ended, for the regex rule.
  let lastSig = '';
  let lastWord = '';
  let i = 0;
  const n = code.length;

  // Scans a template literal body from i (just after the opening backquote or a closing `}`
  // of a substitution). Returns true if it stopped at a `${` (pushed on the stack).
  const scanTemplate = (): boolean => {
    while (i < n) {
      const c = code[i]!;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '`') {
        i++;
        return false;
      }
      if (c === '$' && code[i + 1] === '{') {
        i += 2;
        stack.push('t');
        return true;
      }
      i++;
    }
    unterminated = 'template';
    return false;
  };

  while (i < n) {
    const c = code[i]!;
    if (c === '\n') {
      if (stack.length === 0) newlines.push(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && code[i + 1] === '/') {
      const end = code.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) {
        unterminated = 'block-comment';
        i = n;
      } else {
        i = end + 2;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n) {
        const d = code[i]!;
        if (d === '\\') {
          // A backslash before the line end continues the string on the next line.
          if (i + 1 >= n) unterminated = 'string-continuation';
          i += 2;
          continue;
        }
        if (d === c) {
          i++;
          break;
        }
        if (d === '\n') break;
        i++;
      }
      lastSig = c;
      lastWord = '';
      continue;
    }
    if (c === '`') {
      i++;
      scanTemplate();
      lastSig = '`';
      lastWord = '';
      continue;
    }
    if (c === '/') {
      const regexAllowed = lastSig === '' || regexAfterPunct.includes(lastSig) || regexAfterWord.has(lastWord);
      if (regexAllowed) {
        i++;
        let inClass = false;
        while (i < n) {
          const d = code[i]!;
          if (d === '\\') {
            i += 2;
            continue;
          }
          if (d === '\n') break;
          if (d === '[') inClass = true;
          else if (d === ']') inClass = false;
          else if (d === '/' && !inClass) {
            i++;
            break;
          }
          i++;
        }
        while (i < n && isIdentChar(code[i]!)) i++;
        lastSig = '/';
        lastWord = '';
        continue;
      }
    }
    if (c === '(' || c === '[' || c === '{') {
      stack.push(c);
    } else if (c === ')' || c === ']') {
      if (stack.length > 0) stack.pop();
    } else if (c === '}') {
      const top = stack.pop();
      if (top === 't') {
        // End of a `${...}` substitution: continue the template body.
        i++;
        scanTemplate();
        lastSig = '`';
        lastWord = '';
        continue;
      }
    } else if (stack.length === 0 && c === ';') {
      semicolons.push(i);
    } else if (stack.length === 0 && c === ',') {
      commas.push(i);
    }
    if (isIdentChar(c)) {
      const start = i;
      while (i < n && isIdentChar(code[i]!)) i++;
      lastWord = code.slice(start, i);
      lastSig = code[i - 1]!;
      continue;
    }
    lastSig = c;
    lastWord = '';
    i++;
  }
  return { semicolons, newlines, commas, openDepth: stack.length, unterminated };
}

/** True if `body` compiles as the body of an async function. Compiles only; runs nothing. */
function compilesAsAsyncBody(body: string): boolean {
  try {
    new vm.Script(`(async function () {${body}\n})`);
    return true;
  } catch {
    return false;
  }
}

// A line that starts with one of these continues the previous line's expression (JavaScript's
// automatic semicolon insertion does not apply before them).
const continuationStart = /^\s*(?:[.([`?:,=*%&|^<>]|\/(?![/*])|-(?!-)|\+(?!\+)|(?:instanceof|in|else|catch|finally)\b)/;

/** Splits REPL input into top-level statements (source slices, separators kept). */
export function splitStatements(code: string): string[] {
  const scan = scanTopLevel(code);
  const cuts: Array<{ at: number; kind: ';' | '\n' }> = [
    ...scan.semicolons.map((at) => ({ at, kind: ';' as const })),
    ...scan.newlines.map((at) => ({ at, kind: '\n' as const })),
  ].sort((a, b) => a.at - b.at);
  const out: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    const chunk = code.slice(start, cut.at + 1);
    if (cut.kind === '\n' && chunk.trim() !== '') {
      // A newline ends a statement only where a semicolon could be inserted: the text so far must
      // be complete, and the next line must not continue it.
      if (continuationStart.test(code.slice(cut.at + 1))) continue;
      if (!compilesAsAsyncBody(chunk)) continue;
    }
    out.push(chunk);
    start = cut.at + 1;
  }
  if (start < code.length) out.push(code.slice(start));
  return out;
}

// Leading spaces and comments before a statement's first token.
const leadingTrivia = /^(?:\s+|\/\/[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

function stripTrailingSemicolon(s: string): string {
  return s.replace(/;\s*$/, '');
}

/** Rewrites one `const`/`let`/`var` statement into an assignment to the REPL's globals. */
function rewriteDeclaration(rest: string): string {
  // Declarators are separated by top-level commas; one without an initializer gets `undefined`
  // so that the assignment creates the name (a bare reference to an undeclared name throws).
  const body = stripTrailingSemicolon(rest);
  const scan = scanTopLevel(body);
  const parts: string[] = [];
  let from = 0;
  for (const at of [...scan.commas, body.length]) {
    parts.push(body.slice(from, at));
    from = at + 1;
  }
  const decls = parts.map((p) => (/^\s*[A-Za-z_$][\w$]*\s*$/.test(p) ? `${p.trimEnd()} = undefined` : p));
  return `void (${decls.join(',')});`;
}

// Statements that are not expressions, so they cannot be the command's value.
const statementKeyword = /^(?:if|for|while|do|switch|try|throw|return|break|continue|with|import|export|debugger)\b|^[{;]/;

/**
 * Rewrites input that uses top-level `await` into an async arrow function call, or returns null
 * when the input needs no rewriting (no `await` outside a function) or the rewrite does not
 * compile. Declared names (`const`, `let`, `var`, `function`, `class`) become properties of the
 * REPL's global object, as they would in Node's own REPL; the value of the last expression
 * statement is returned as `{ value }` so that a returned promise is not awaited a second time.
 */
export function transformTopLevelAwait(code: string): string | null {
  if (!/\bawait\b/.test(code)) return null;
  const statements = splitStatements(code);
  const hoisted: string[] = [];
  const body: string[] = [];
  // Index of the statement whose value is the command's result, if it is an expression.
  let valueIndex = -1;
  statements.forEach((stmt, idx) => {
    const lead = leadingTrivia.exec(stmt)?.[0] ?? '';
    const text = stmt.slice(lead.length);
    const decl = /^(const|let|var)(?=[\s{[])/.exec(text);
    const fn = /^(?:async\s+)?function\b\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(text);
    const cls = /^class\s+([A-Za-z_$][\w$]*)/.exec(text);
    if (text.trim() === '' || text.trim() === ';') {
      body.push(stmt);
      return;
    }
    valueIndex = -1;
    if (decl) {
      body.push(lead + rewriteDeclaration(text.slice(decl[1]!.length)));
    } else if (fn) {
      // Function declarations are hoisted inside the wrapper, so they can be published first.
      body.push(stmt);
      hoisted.push(`this[${JSON.stringify(fn[1])}] = ${fn[1]};`);
    } else if (cls) {
      body.push(`${stmt}\n;this[${JSON.stringify(cls[1])}] = ${cls[1]};`);
    } else {
      body.push(stmt);
      if (!statementKeyword.test(text)) valueIndex = idx;
    }
  });
  const wrap = (parts: string[]) => `(async () => {${hoisted.join(' ')}${parts.join('')}\n})()`;
  if (valueIndex >= 0) {
    const withValue = [...body];
    withValue[valueIndex] = `return { value: (${stripTrailingSemicolon(body[valueIndex]!)}\n) };`;
    const candidate = wrap(withValue);
    if (compiles(candidate)) return candidate;
  }
  const plain = wrap(body);
  return compiles(plain) ? plain : null;
}

function compiles(source: string): boolean {
  try {
    new vm.Script(source);
    return true;
  } catch {
    return false;
  }
}
