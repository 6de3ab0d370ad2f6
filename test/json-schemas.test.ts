// Every command's --json output, on real snapshots, recordings and processes, against its JSON
// Schema in docs/schemas/ (issue 19: one documented, versioned shape per command). The validator
// below covers the part of JSON Schema those files use: type (one or a list), properties,
// required, items, enum and additionalProperties: false.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/snapshots.js';
import { freePort } from './helpers/net.js';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  additionalProperties?: boolean;
}

const KEYWORDS = new Set(['$schema', '$id', 'title', 'description', 'type', 'properties', 'required', 'items', 'enum', 'additionalProperties']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** The places where `value` breaks `schema`, as `path: what`; empty when it conforms. */
export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KEYWORDS.has(k)) return [`${path}: the schema uses '${k}', which this validator does not check`];
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    const ok = types.some((t) => t === actual || (t === 'integer' && actual === 'number' && Number.isInteger(value)));
    if (!ok) return [`${path}: expected ${types.join(' or ')}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeOf(value) === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) errors.push(`${path}: missing '${r}'`);
    for (const [k, v] of Object.entries(o)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: '${k}' is not in the schema`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(schema.items!, v, `${path}[${i}]`)));
  return errors;
}

const schemaDir = join(repoRoot, 'docs', 'schemas');
const schemas = new Map(readdirSync(schemaDir).map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as Schema & { $id: string }]));

const children = new Set<ChildProcess>();
const work = mkdtempSync(join(tmpdir(), 'heapy-json-'));
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function heapy(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => (children.delete(child), resolve({ code, out, err }))));
}

/** Checks one document against its schema and returns it. */
function conforms(name: string, text: string, label: string): Record<string, unknown> {
  const schema = schemas.get(name);
  assert.ok(schema, `docs/schemas/${name}.json`);
  const doc = JSON.parse(text) as Record<string, unknown>;
  assert.equal(doc.schema, schema.$id, `${label}: schema field`);
  assert.deepEqual(validate(schema, doc), [], `${label} against docs/schemas/${name}.json`);
  return doc;
}

test('the validator finds what breaks a schema', () => {
  const s: Schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: ['string', 'null'] }, c: { type: 'array', items: { type: 'string', enum: ['x'] } } }, required: ['a'], additionalProperties: false };
  assert.deepEqual(validate(s, { a: 1, b: null, c: ['x'] }), []);
  assert.deepEqual(validate(s, { a: 1.5, b: 2, c: ['y', 3], d: 0 }), [
    '$.a: expected integer, got number',
    '$.b: expected string or null, got number',
    '$.c[0]: "y" is not one of ["x"]',
    '$.c[1]: expected string, got number',
    "$: 'd' is not in the schema",
  ]);
  assert.deepEqual(validate(s, {}), ["$: missing 'a'"]);
  assert.deepEqual(validate({ type: 'object', pattern: 'x' } as Schema, {}), ["$: the schema uses 'pattern', which this validator does not check"]);
});

test('every command’s --json output matches its schema in docs/schemas', { timeout: 180_000 }, async () => {
  // Real inputs: the leaking queue's three snapshots, two recordings, a live process.
  execFileSync(process.execPath, [join(repoRoot, 'test', 'programs', 'leak-queue.mjs'), work, '300']);
  const [base, target, final] = ['base', 'target', 'final'].map((n) => join(work, `${n}.heapsnapshot`)) as [string, string, string];
  const port = await freePort();
  const live = spawn(process.execPath, [`--inspect-port=127.0.0.1:${port}`, '-e', 'const keep = []; setInterval(() => { keep.push({ t: Date.now() }); if (keep.length > 5000) keep.length = 0; }, 5);'], { stdio: 'ignore' });
  children.add(live);
  const pid = String(live.pid);
  const program = 'const a = []; const t = setInterval(() => { for (let i = 0; i < 2000; i++) a.push({ i }); }, 10); setTimeout(() => clearInterval(t), 1200);';
  for (const name of ['heapy-run-a.dat', 'heapy-run-b.dat']) {
    const r = await heapy(['run', '-q', '-o', name, '--', process.execPath, '-e', program]);
    assert.equal(r.code, 0, r.err);
  }
  const runs: [string, string[], string][] = [
    ['summary', ['summary', final, '--json', '--top', '5'], 'partition'],
    ['summary --by id', ['summary', final, '--json', '--by', 'id', '--top', '3'], 'partition'],
    ['summary --retained', ['summary', final, '--json', '--retained', '--top', '5'], 'retained'],
    ['diff', ['diff', base, final, '--json', '--top', '0'], 'diff'],
    ['leaks', ['leaks', base, target, final, '--json'], 'leaks'],
    ['path', ['path', final, '--kind', 'TradeMessage', '--limit', '2', '--json'], 'path'],
    ['hints', ['hints', final, '--base', base, '--json'], 'hints'],
    ['graph', ['graph', final, '--kind', 'TradeMessage', '--limit', '2', '--json'], 'graph'],
    ['list', ['list', '--json'], 'list'],
    ['peak', ['peak', '--json', 'heapy-run-a.dat', 'heapy-run-b.dat'], 'peak'],
    ['ps', ['ps', '--json'], 'ps'],
    ['alloc', ['alloc', '--json', '-d', '1s', '--', process.execPath, '-e', program], 'alloc'],
  ];
  // Two at a time: each loads a snapshot or runs a program.
  const docs = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < runs.length; i += 2) {
    const batch = runs.slice(i, i + 2);
    const results = await Promise.all(batch.map(([, args]) => heapy(args)));
    batch.forEach(([label, , name], k) => {
      const r = results[k]!;
      assert.equal(r.code, 0, `${label}: ${r.err}`);
      docs.set(label, conforms(name, r.out, label));
    });
  }
  // The live commands, one after the other on the one target.
  const heap = await heapy(['heap', pid, '--port', String(port), '--json', '--top', '3']);
  assert.equal(heap.code, 0, heap.err);
  docs.set('heap', conforms('partition', heap.out, 'heap'));
  const leaks = await heapy(['leaks', '--pid', pid, '--port', String(port), '--interval', '300ms', '--json']);
  assert.equal(leaks.code, 0, leaks.err);
  docs.set('leaks --pid', conforms('leaks', leaks.out, 'leaks --pid'));
  const watch = await heapy(['alloc', '--watch', '--json', '-e', '400ms', '-d', '1.5s', pid]);
  assert.equal(watch.code, 0, watch.err);
  const steps = watch.out.trimEnd().split('\n');
  assert.ok(steps.length >= 2, watch.out);
  steps.forEach((line, i) => conforms('alloc-step', line, `alloc --watch line ${i}`));

  // The documents say what they were asked: values that could be wrong.
  assert.equal((docs.get('summary')!.rows as unknown[]).length, 5);
  assert.ok(docs.get('heap')!.target !== undefined && docs.get('heap')!.file === undefined);
  assert.equal((docs.get('peak')!.recordings as { source: string }[]).map((r) => r.source).join(), 'heapy-run-a.dat,heapy-run-b.dat');
  assert.equal((docs.get('list')!.recordings as unknown[]).length, 2);
  assert.ok((docs.get('ps')!.processes as { pid: number }[]).some((p) => p.pid === live.pid));
  assert.equal((docs.get('path')!.paths as string[]).length, 2);
  assert.ok((docs.get('graph')!.nodes as { start: boolean }[]).filter((n) => n.start).length === 2);
  assert.equal(docs.get('leaks --pid')!.intervalMs, 300);
  assert.equal((docs.get('leaks')!.clusters as { kind: string }[])[0]?.kind, 'TradeMessage');

  // Every command whose help offers --json is covered here, and every schema is used.
  const { commandNames } = await import('../src/cli/main.js');
  const withJson: string[] = [];
  for (const name of commandNames) {
    const { command } = (await import(`../src/cli/commands/${name}.js`)) as { command: import('../src/cli/main.js').CommandModule };
    if ('json' in command.options) withJson.push(name);
  }
  const covered = new Set([...docs.keys()].map((l) => l.split(' ')[0]!));
  assert.deepEqual(withJson.sort(), [...covered].sort());
  const used = new Set([...runs.map((r) => r[2]), 'partition', 'leaks', 'alloc-step']);
  assert.deepEqual([...schemas.keys()].sort(), [...used].sort());
});
