#!/usr/bin/env node
// What a live capture costs the target: for heaps of several shapes, reads the figures heapy's
// cost guard reads (process.memoryUsage, v8 heap and heap-space statistics), takes one snapshot
// with `heapy snapshot PID --force` while sampling the target's VmRSS from /proc/PID/status every
// 20 ms, and prints the guard's prediction next to the peak extra RSS measured.
//
// Usage: npm run build && node bench/capture-cost.mjs [--out bench/results/capture-cost.json]
//        node bench/capture-cost.mjs --from bench/results/capture-cost.json   (table only, no targets)
//        add --json for the rows as JSON on stdout (bench/capture-goals.mjs reads them)
//        --skip-big leaves out the 250 MB small-object heap (~11 GiB for its snapshot)
// Each heap is captured twice: the second capture is compared with what the guard predicts once
// it knows the first one's measured cost (its third bound, src/capture/cost.ts).
// The measurements are saved, so that the model (src/capture/cost.ts) can be recalibrated and
// the table recomputed from the same run with --from.
import { spawn, execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { formatBytes } = await import(join(root, 'dist/src/util/format.js'));

const { values: opts } = parseArgs({
  options: { out: { type: 'string', default: join(here, 'results/capture-cost.json') }, from: { type: 'string' }, json: { type: 'boolean', default: false }, 'skip-big': { type: 'boolean', default: false } },
});

// Heaps kept at or under ~300 MB so that a run takes minutes.
const SHAPES = [
  { name: 'small objects 100 MB', args: [join(here, 'capture-cost-target.mjs'), 'small-objects', '100'] },
  { name: 'small objects 250 MB', args: [join(here, 'capture-cost-target.mjs'), 'small-objects', '250'] },
  { name: 'big strings 200 MB', args: [join(here, 'capture-cost-target.mjs'), 'big-strings', '200'] },
  { name: 'arrays+typed 256 MB', args: [join(here, 'capture-cost-target.mjs'), 'big-arrays', '256'] },
  { name: 'service (ballast 150)', args: [join(root, 'test/programs/attach-ballast.mjs'), '150'] },
  { name: 'tsc program', args: [join(root, 'test/programs/tsc-heap.mjs')] },
];

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function nodeCount(file) {
  // V8 writes "node_count":N in the header, before the nodes.
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(65536);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const m = /"node_count":(\d+),"edge_count":(\d+)/.exec(buf.subarray(0, n).toString('latin1'));
  return m ? { nodes: Number(m[1]), edges: Number(m[2]) } : { nodes: NaN, edges: NaN };
}

async function measure(shape) {
  const child = spawn(process.execPath, ['--import', join(here, 'capture-cost-probe.mjs'), ...shape.args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`${shape.name}: target exited (${code})`)));
    });
    await new Promise((r) => setTimeout(r, 1000));
    const figures = await new Promise((resolve) => {
      child.once('message', resolve);
      child.send('figures');
    });
    const first = await captureOnce(child, shape);
    // A second capture of the same heap: what the guard's third bound (the last capture's
    // measured cost) predicts is compared with what it costs.
    const figures2 = await new Promise((resolve) => {
      child.once('message', resolve);
      child.send('figures');
    });
    const second = await captureOnce(child, shape);
    return { name: shape.name, figures, ...first, second: { figures: figures2, ...second } };
  } finally {
    child.kill('SIGKILL');
  }
}

/** One `heapy snapshot PID --force`, the target's VmRSS sampled every 20 ms meanwhile. */
async function captureOnce(child, shape) {
  const before = status(child.pid);
  let peak = before.rss;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, status(child.pid).rss);
    } catch {}
  }, 20);
  const file = join(tmpdir(), `capture-cost-${child.pid}.heapsnapshot`);
  const t0 = Date.now();
  await new Promise((resolve, reject) =>
    execFile(process.execPath, [join(root, 'dist/src/cli/bin.js'), 'snapshot', String(child.pid), '-o', file, '--force'], { maxBuffer: 1 << 20 }, (err, _o, stderr) => (err ? reject(new Error(`${shape.name}: ${stderr}`)) : resolve())),
  );
  const ms = Date.now() - t0;
  clearInterval(sampler);
  const after = status(child.pid);
  const counts = nodeCount(file);
  rmSync(file, { force: true });
  return { rssBefore: before.rss, hwmBefore: before.hwm, peakRss: Math.max(peak, after.rss), rssAfter: after.rss, hwmAfter: after.hwm, ms, ...counts };
}

let results;
if (opts.from) {
  results = JSON.parse(readFileSync(opts.from, 'utf8')).results;
} else {
  results = [];
  for (const shape of SHAPES) {
    // --skip-big: without the 250 MB small-object heap, whose snapshot needs ~11 GiB.
    if (opts['skip-big'] && shape.name === 'small objects 250 MB') continue;
    process.stderr.write(`${shape.name}...\n`);
    results.push(await measure(shape));
  }
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 1) + '\n');
}

// Imported only here, so that a measuring run does not depend on the model being calibrated.
const { estimateCaptureCost } = await import(join(root, 'dist/src/capture/cost.js'));
const pct = (p, a) => `${p >= a ? '+' : ''}${Math.round(((p - a) / a) * 100)}%`;
const json = [];
const rows = [['shape', 'heapUsed', 'objects', 'RSS before', 'actual extra', 'HWM extra', 'predicted', 'error', 'pred. (count known)', 'error', 'time', '2nd: actual', 'predicted', 'error']];
for (const r of results) {
  const actual = r.peakRss - r.rssBefore;
  const hwm = r.hwmAfter - r.rssBefore;
  const first = estimateCaptureCost(r.figures).bytes;
  // A second capture of the same heap: the node count of this one is known.
  const small = estimateCaptureCost(r.figures).heapBytes;
  const again = estimateCaptureCost(r.figures, { nodes: r.nodes, heapBytes: small }).bytes;
  // The second capture, with the first's measured cost known (as heapy measures it, in one session).
  const s2 = r.second;
  const actual2 = s2 ? s2.peakRss - s2.rssBefore : NaN;
  const repeat = s2 ? estimateCaptureCost(s2.figures, { nodes: r.nodes, heapBytes: small, watched: { peak: r.peakRss, extra: actual } }).bytes : NaN;
  json.push({ shape: r.name, actual, predicted: first, error: (first - actual) / actual, predictedAgain: again, errorAgain: (again - actual) / actual, actualRepeat: actual2, predictedRepeat: repeat, errorRepeat: (repeat - actual2) / actual2 });
  rows.push([r.name, formatBytes(r.figures.memoryUsage.heapUsed), String(r.nodes), formatBytes(r.rssBefore), formatBytes(actual), formatBytes(hwm), formatBytes(first), pct(first, actual), formatBytes(again), pct(again, actual), `${(r.ms / 1000).toFixed(1)} s`, s2 ? formatBytes(actual2) : '-', s2 ? formatBytes(repeat) : '-', s2 ? pct(repeat, actual2) : '-']);
}
if (opts.json) {
  process.stdout.write(JSON.stringify(json) + '\n');
  process.exit(0);
}
const widths = rows[0].map((_, k) => Math.max(...rows.map((row) => row[k].length)));
for (const row of rows) process.stdout.write(row.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ') + '\n');
