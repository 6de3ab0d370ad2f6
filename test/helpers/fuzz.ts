/**
 * A deterministic fuzzer for heapy's snapshot loading: seeded mutations of real snapshots, each run
 * through the CLI's `main` in a child process (fuzz-child.ts) with a time limit. Case `i` of seed
 * `s` depends on nothing else, so any case can be replayed alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.js';

/** A PRNG (mulberry32): 32 bits of state, good enough to pick mutations, no dependency. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The random source of one case: a PRNG seeded from the run's seed and the case number. */
export function caseRandom(seed: number, index: number): () => number {
  return prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

/** A base snapshot, as latin1 text (one char a byte), with where its sections start. */
export interface FuzzBase {
  readonly name: string;
  readonly text: string;
  /** Offsets of `"nodes":[`, `"edges":[`, `"strings":[` at the start of their lines. */
  readonly nodes: number;
  readonly edges: number;
  readonly strings: number;
}

/** Reads a snapshot file as a fuzzing base. */
export function fuzzBase(path: string, name: string): FuzzBase {
  const text = readFileSync(path, 'latin1');
  const at = (key: string) => {
    const i = text.indexOf(`\n"${key}":[`);
    if (i < 0) throw new Error(`${path}: no ${key} section`);
    return i + 1;
  };
  return { name, text, nodes: at('nodes'), edges: at('edges'), strings: at('strings') };
}

/** Whether a mutation keeps the snapshot valid: the CLI must then print what it prints for the base. */
export type Expect = 'same' | 'any';

/** One mutated input. */
export interface Mutant {
  /** The mutation's name and parameters, for the report. */
  readonly what: string;
  readonly text: string;
  readonly expect: Expect;
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
/** An offset in [from, to). */
const within = (r: Rand, from: number, to: number) => from + int(r, Math.max(1, to - from));

/** The start of the line at or after `at` (the base's arrays have one record a line). */
function lineAfter(text: string, at: number): number {
  const i = text.indexOf('\n', at);
  return i < 0 ? text.length : i + 1;
}

/** Replaces the `field`-th number of the record starting at `at` (a line of the nodes or edges array). */
function replaceField(text: string, at: number, field: number, value: (old: string) => string): string {
  let i = at;
  if (text[i] === ',') i++;
  for (let f = 0; f < field; f++) i = text.indexOf(',', i) + 1;
  let j = i;
  while (j < text.length && text[j] !== ',' && text[j] !== '\n' && text[j] !== ']') j++;
  return text.slice(0, i) + value(text.slice(i, j)) + text.slice(j);
}

const splice = (t: string, at: number, del: number, ins: string) => t.slice(0, at) + ins + t.slice(at + del);

function headerNumber(b: FuzzBase, key: string): { at: number; len: number; value: number } {
  const k = `"${key}":`;
  const i = b.text.indexOf(k);
  const m = /^\d+/.exec(b.text.slice(i + k.length, i + k.length + 24))!;
  return { at: i + k.length, len: m[0].length, value: Number(m[0]) };
}

const HUGE = ['9007199254740993', '18446744073709551616', '4294967296', '4294967295', '2147483648', '1e300', '-1', '1.5', '1e5', '00', '99999999999999999999999999'];
const BAD_ESCAPES = ['\\x41', '\\u12', '\\uZZZZ', '\\ud800', '\\udfff\\ud800', '\\', '\\q', '\\u0000', '\x01', '\n', '\x1b[31m', '\x9b2J', '\xff\xfe', '"', '\\"'];

/** The mutations, each a function of the base and a random source. */
const MUTATIONS: ReadonlyArray<(b: FuzzBase, r: Rand) => Mutant> = [
  function truncate(b, r) {
    const cuts = [0, 1, b.nodes, b.edges, b.strings, b.text.length - 1, b.text.length - 2];
    const at = r() < 0.4 ? pick(r, cuts) + int(r, 3) : int(r, b.text.length);
    return { what: `truncate at ${at}`, text: b.text.slice(0, at), expect: 'any' };
  },
  function byteFlips(b, r) {
    let t = b.text;
    const n = 1 + int(r, 8);
    const where: number[] = [];
    for (let k = 0; k < n; k++) {
      const at = int(r, t.length);
      where.push(at);
      t = splice(t, at, 1, String.fromCharCode(int(r, 256)));
    }
    return { what: `byte flips at ${where.join(',')}`, text: t, expect: 'any' };
  },
  function lyingHeaderCount(b, r) {
    const key = pick(r, ['node_count', 'edge_count', 'trace_function_count']);
    const h = headerNumber(b, key);
    const value = pick(r, [String(h.value + 1), String(h.value - 1), '0', String(h.value * 2), String(h.value + 2 ** 32), ...HUGE]);
    return { what: `${key} ${h.value} -> ${value}`, text: splice(b.text, h.at, h.len, value), expect: 'any' };
  },
  function nodeEdgeCountsWrap(b, r) {
    // Per-node edge counts whose sum is the header's edge_count plus exactly 2^32: a reader that
    // adds them in a Uint32 finds the totals agree.
    let t = b.text;
    const shares = pick(r, [[2 ** 32], [2 ** 31, 2 ** 31], [2 ** 32 - 1, 1]]);
    const picked: number[] = [];
    for (const add of shares) {
      const at = lineAfter(t, within(r, b.nodes + 10, b.edges - 100));
      picked.push(at);
      t = replaceField(t, at, 4, (old) => String(Number(old) + add));
    }
    return { what: `node edge_count +${shares.join('+')} at ${picked.join(',')}`, text: t, expect: 'any' };
  },
  function badEscape(b, r) {
    const at = b.text.indexOf('"', within(r, b.strings + 11, b.text.length - 2)) + 1;
    const esc = pick(r, BAD_ESCAPES);
    return { what: `string escape ${JSON.stringify(esc)} at ${at}`, text: splice(b.text, at, 0, esc), expect: 'any' };
  },
  function hugeNumber(b, r) {
    const inEdges = r() < 0.5;
    const at = lineAfter(b.text, inEdges ? within(r, b.edges + 10, b.strings - 100) : within(r, b.nodes + 10, b.edges - 100));
    const field = int(r, inEdges ? 3 : 7);
    const value = pick(r, HUGE);
    return { what: `${inEdges ? 'edge' : 'node'} field ${field} at ${at} -> ${value}`, text: replaceField(b.text, at, field, () => value), expect: 'any' };
  },
  function reflow(b, r) {
    const how = pick(r, ['comma-first to comma-last', 'one line', 'spaces', 'tabs and CRLF', 'blank lines']);
    let t: string;
    if (how === 'comma-first to comma-last') t = b.text.split('\n,').join(',\n');
    else if (how === 'one line') t = b.text.split('\n').join('');
    else if (how === 'spaces') t = b.text.replace(/,/g, ', ').replace(/:/g, ' : ').replace(/\[/g, '[ ');
    else if (how === 'tabs and CRLF') t = b.text.split('\n').join('\r\n\t');
    else t = ' \n' + b.text.split('\n,').join('\n\n ,  ') + '\n\n';
    // Only outside strings: whitespace inside the strings section would change the strings.
    if (how !== 'comma-first to comma-last' && how !== 'blank lines') t = t.slice(0, t.indexOf('"strings"')) + b.text.slice(b.strings);
    return { what: `reflow: ${how}`, text: t, expect: 'same' };
  },
  function duplicateKey(b, r) {
    const which = pick(r, ['node_count', 'edge_count', 'samples', 'strings', 'nodes', 'meta']);
    let t: string;
    if (which === 'node_count' || which === 'edge_count') {
      const h = headerNumber(b, which);
      const k = `"${which}":`;
      t = splice(b.text, h.at - k.length, 0, `${k}${pick(r, ['0', '1', String(h.value), '4294967296'])},`);
    } else if (which === 'meta') {
      t = b.text.replace('"meta":{', '"meta":{"node_fields":["type"],');
    } else {
      const at = which === 'samples' ? b.text.indexOf('\n"samples":[') + 1 : which === 'strings' ? b.strings : b.nodes;
      t = splice(b.text, at, 0, `"${which}":[],\n`);
    }
    return { what: `duplicate key ${which}`, text: t, expect: 'any' };
  },
  function deleteSection(b, r) {
    const keys = ['snapshot', 'nodes', 'edges', 'trace_function_infos', 'trace_tree', 'samples', 'locations', 'strings', 'meta', 'node_fields', 'edge_types'];
    const key = pick(r, keys);
    const k = `"${key}":`;
    const start = b.text.indexOf(k);
    // Up to the next top-level key (or the end): a section and its comma.
    const next = ['snapshot', 'nodes', 'edges', 'trace_function_infos', 'trace_tree', 'samples', 'locations', 'strings']
      .map((n) => b.text.indexOf(`\n"${n}":`, start + k.length))
      .filter((i) => i > start);
    const inner = key === 'meta' || key === 'node_fields' || key === 'edge_types' ? b.text.indexOf(',"', start + k.length + 2) : -1;
    const end = inner > start ? inner + 1 : next.length > 0 ? Math.min(...next) + 1 : b.text.length - 1;
    return { what: `delete ${key}`, text: b.text.slice(0, start) + b.text.slice(end), expect: 'any' };
  },
];

/** Case `index` of run `seed` over `bases`: the base, the mutation and the CLI arguments. */
export function makeCase(bases: readonly FuzzBase[], seed: number, index: number): Mutant & { base: FuzzBase; retained: boolean } {
  const r = caseRandom(seed, index);
  const base = pick(r, bases);
  const m = pick(r, MUTATIONS)(base, r);
  // Now and then a truncation or byte flips on top (mutations that need no section offsets, which
  // the first may have moved).
  const twice = m.expect === 'any' && r() < 0.15 ? pick(r, MUTATIONS.slice(0, 2))({ ...base, text: m.text }, r) : undefined;
  const out = twice ? { what: `${m.what}; ${twice.what}`, text: twice.text, expect: 'any' as Expect } : m;
  return { ...out, base, retained: r() < 0.7 };
}

/** What one case did. */
export interface CaseResult {
  readonly index: number;
  readonly what: string;
  readonly base: string;
  readonly args: readonly string[];
  /** Exit code, or null when the time limit killed it (or the child died). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Why the case fails the contract, or undefined. */
  readonly failure?: string | undefined;
}

/** Exit codes a bad input file may give (README's table): not found, bad snapshot, too large, bad input. */
export const FILE_ERROR_CODES: ReadonlySet<number> = new Set([ExitCode.fileNotFound, ExitCode.badSnapshot, ExitCode.tooLarge, ExitCode.badInput]);

// Control bytes other than the newline that ends a message: C0, DEL and C1 (escapeControls' set).
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** The contract every case must keep; `expected` is the base's stdout for valid mutants. */
export function check(r: Omit<CaseResult, 'failure'>, expect: Expect, expected: string | undefined): string | undefined {
  if (r.code === null) return r.stderr.startsWith('timeout') ? r.stderr : `the child died: ${r.stderr}`;
  if (r.code !== 0 && !FILE_ERROR_CODES.has(r.code)) return `exit ${r.code}: ${r.stderr.trimEnd()}`;
  if (RAW_CONTROL.test(r.stderr)) return `raw control bytes on stderr: ${JSON.stringify(r.stderr)}`;
  if (r.code !== 0 && !/^heapy: [^\n]+\n$/.test(r.stderr)) return `stderr is not one line: ${JSON.stringify(r.stderr)}`;
  if (r.code === 0 && r.stderr !== '') return `stderr on success: ${JSON.stringify(r.stderr)}`;
  if (expect === 'same' && (r.code !== 0 || r.stdout !== expected)) return `a valid layout did not give the base's output (exit ${r.code}: ${r.stderr.trimEnd()})`;
  return undefined;
}

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  readonly bases: readonly FuzzBase[];
  readonly seed: number;
  /** Case numbers to run. */
  readonly cases: Iterable<number>;
  /** Children running cases at once (default 2: the test machine has two cores). */
  readonly concurrency?: number;
  /** Milliseconds a case may take before it counts as a hang (default 10 s). */
  readonly timeoutMs?: number;
  /** Where the mutated files are written. */
  readonly dir: string;
  /** Called after each case. */
  readonly onCase?: (r: CaseResult) => void;
}

type Reply = { code: number; stdout: string; stderr: string };

/** A child running `main` for one case at a time (fuzz-child.ts), replaced when it hangs or dies. */
class Runner {
  private child: ChildProcess | undefined;
  private spawnChild(): ChildProcess {
    const c = fork(new URL('./fuzz-child.js', import.meta.url), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, HEAPY_NO_HUGE_PAGES: '1' } });
    c.stderr!.resume();
    return c;
  }
  run(args: readonly string[], timeoutMs: number): Promise<Reply | { dead: string }> {
    const c = (this.child ??= this.spawnChild());
    return new Promise((resolve) => {
      const done = (v: Reply | { dead: string }) => {
        clearTimeout(timer);
        c.off('message', onMessage);
        c.off('exit', onExit);
        resolve(v);
      };
      const onMessage = (m: Reply) => done(m);
      const onExit = (code: number | null, signal: string | null) => {
        this.child = undefined;
        done({ dead: `exit ${code ?? signal}` });
      };
      const timer = setTimeout(() => {
        this.child = undefined;
        c.kill('SIGKILL');
        done({ dead: `timeout after ${timeoutMs} ms` });
      }, timeoutMs);
      c.on('message', onMessage);
      c.on('exit', onExit);
      c.send({ args });
    });
  }
  close(): void {
    this.child?.kill();
    this.child = undefined;
  }
}

/** Runs the cases and returns their results in case order. */
export async function runFuzz(options: FuzzOptions): Promise<CaseResult[]> {
  const { bases, seed, dir } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const runners = Array.from({ length: options.concurrency ?? 2 }, () => new Runner());
  const expected = new Map<string, string>();
  const results: CaseResult[] = [];
  const queue = [...options.cases];
  const baseline = async (runner: Runner, base: FuzzBase, retained: boolean, path: string): Promise<string> => {
    const key = `${base.name} ${retained}`;
    let out = expected.get(key);
    if (out === undefined) {
      writeFileSync(path, base.text, 'latin1');
      const r = await runner.run(['summary', path, ...(retained ? ['--retained'] : [])], timeoutMs * 3);
      if ('dead' in r || r.code !== 0) throw new Error(`the base ${base.name} does not load: ${'dead' in r ? r.dead : r.stderr}`);
      out = r.stdout.split(path).join('FILE');
      expected.set(key, out);
    }
    return out;
  };
  try {
    await Promise.all(
      runners.map(async (runner, slot) => {
        const path = join(dir, `fuzz-${slot}.heapsnapshot`);
        for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
          const c = makeCase(bases, seed, index);
          const want = c.expect === 'same' ? await baseline(runner, c.base, c.retained, path) : undefined;
          writeFileSync(path, c.text, 'latin1');
          const args = ['summary', path, ...(c.retained ? ['--retained'] : [])];
          const t = performance.now();
          const reply = await runner.run(args, timeoutMs);
          const ms = performance.now() - t;
          const base = { index, what: c.what, base: c.base.name, args, ms };
          const r = 'dead' in reply ? { ...base, code: null, stdout: '', stderr: reply.dead } : { ...base, code: reply.code, stdout: reply.stdout.split(path).join('FILE'), stderr: reply.stderr.split(path).join('FILE') };
          const result = { ...r, failure: check(r, c.expect, want) };
          results.push(result);
          options.onCase?.(result);
        }
      }),
    );
  } finally {
    for (const r of runners) r.close();
  }
  return results.sort((a, b) => a.index - b.index);
}
