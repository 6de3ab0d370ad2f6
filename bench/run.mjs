#!/usr/bin/env node
// heapy's benchmark (issue 2, "Performance"): times heapy's full analysis of service-like heap
// snapshots (load + distances + dominators + retained sizes + summary) next to two peers,
// heap-snapshot-toolkit (Chrome DevTools' engine) and memlab, each run as its own child process,
// and loads a synthetic snapshot whose strings section exceeds 512 MiB.
//
// Usage (after `npm run build`, which `npm run bench` does):
//   node bench/run.mjs                      small (~25 MB) and medium (~200 MB), 3 runs each
//   node bench/run.mjs --quick              small only
//   node bench/run.mjs --large              small, medium and large (~1.1 GB, 1 run)
//   node bench/run.mjs --sizes medium,large --runs 5 --tools heapy,devtools
//   node bench/run.mjs --no-big-strings     skip the >512 MiB strings snapshot
//   node bench/run.mjs --heapy driver       time bench/heapy-driver.mjs instead of the CLI
//   node bench/run.mjs --timeout 60         per-run limit in seconds (default by input size)
//
// Snapshots are generated once into bench/out/ (git-ignored) and reused while their generator
// and parameters are unchanged. Peers are installed into bench/peers/ on first run. Results go to
// the terminal and to bench/out/results.json.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULT_TAG } from './driver-common.mjs';

const benchDir = new URL('.', import.meta.url).pathname;
const root = join(benchDir, '..');
const outDir = join(benchDir, 'out');
const peersDir = join(benchDir, 'peers');

const SIZES = {
  small: { targetMb: 25, runs: 3, timeoutS: 300 },
  medium: { targetMb: 200, runs: 3, timeoutS: 900 },
  // Writing this one takes a generator heap of ~2 GB and ~5 GB RSS while V8 serializes it.
  // heapy takes seconds here and the peers minutes: heapy runs three times (the median is less
  // at the mercy of a burst of load), the peers once.
  large: { targetMb: 1100, runs: 1, heapyRuns: 3, timeoutS: 1800 },
  // Issue 18: what locality costs. `permuted*` is the same graph as its service file with the
  // nodes in a seeded random order (bench/permute-snapshot.mjs); `scattered*` and `huge*` are
  // synthetic heaps of any size with locality as a knob (bench/gen-scattered-heap.mjs: 0 = none,
  // 1 = allocation order). The peers are not run past 4 GB (DevTools fails at 4.12 GB, node issue
  // 50952) nor on the 70 M file (minutes and ~15 GB), unless --peers-on-huge.
  permuted: { permutes: 'large', runs: 1, timeoutS: 1800 },
  'permuted-medium': { permutes: 'medium', runs: 1, timeoutS: 900 },
  scattered10m: { nodes: '10m', locality: 0, runs: 1, timeoutS: 1800 },
  scattered70m: { nodes: '70m', locality: 0, runs: 1, timeoutS: 3600, heapyOnly: true },
  huge4g: { nodes: '70m', locality: 0.9, runs: 1, timeoutS: 3600, heapyOnly: true },
  huge10g: { nodes: '165m', locality: 0.9, runs: 1, timeoutS: 7200, heapyOnly: true },
};
const SEED = 12345;
const BIG_STRINGS_TIMEOUT_S = 300;
// Peers need far more than Node's default ~4 GB heap on the large file; heapy runs with Node's
// defaults, as a user would run the CLI.
const PEER_NODE_FLAGS = ['--max-old-space-size=12288'];
const GEN_NODE_FLAGS = ['--max-old-space-size=12288'];
const PEER_VERSIONS = { 'heap-snapshot-toolkit': '1.1.3', memlab: '2.0.5' };

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    large: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    runs: { type: 'string' },
    tools: { type: 'string', default: 'heapy,devtools,memlab' },
    heapy: { type: 'string', default: 'auto' },
    timeout: { type: 'string' },
    'big-strings': { type: 'boolean', default: true },
    'no-big-strings': { type: 'boolean', default: false },
    'big-strings-only': { type: 'boolean', default: false },
    attach: { type: 'boolean', default: false },
    capture: { type: 'boolean', default: false },
    'peers-on-huge': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 16).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}

// Issue 15's capture goals (guard error, setref cost, speed against writeHeapSnapshot) are their own bench.
if (opts.capture) {
  const r = spawnSync(process.execPath, [join(benchDir, 'capture-goals.mjs')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

let sizeNames = opts.sizes ? opts.sizes.split(',') : opts.quick ? ['small'] : opts.large ? ['small', 'medium', 'large'] : ['small', 'medium'];
if (opts['big-strings-only']) sizeNames = [];
for (const s of sizeNames) if (!SIZES[s]) die(`unknown size ${s} (${Object.keys(SIZES).join(', ')})`);
// A permuted file's goal compares heapy on it with heapy on its original: measure that one first.
for (const s of [...sizeNames]) {
  const of = SIZES[s].permutes;
  if (of && !sizeNames.includes(of)) sizeNames.splice(sizeNames.indexOf(s), 0, of);
}
const toolNames = opts.tools.split(',');
const doBigStrings = opts['big-strings'] && !opts['no-big-strings'] && !opts.quick;
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/time' : null;

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Inputs: cached snapshots keyed by the generator's source hash and its parameters.

function sourceHash(file) {
  return createHash('sha256').update(readFileSync(join(benchDir, file))).digest('hex').slice(0, 10);
}

/** Returns the cached file if its sidecar matches `key`, else regenerates it with `argv`. */
function cachedInput(file, key, argv, nodeFlags) {
  const path = join(outDir, file);
  const sidecar = `${path}.json`;
  if (existsSync(path) && existsSync(sidecar)) {
    try {
      const info = JSON.parse(readFileSync(sidecar, 'utf8'));
      if (JSON.stringify(info.key) === JSON.stringify(key) && statSync(path).size === info.bytes) {
        log(`reusing ${file} (${(info.bytes / 1e6).toFixed(1)} MB)`);
        return info;
      }
    } catch {
      // A broken sidecar: regenerate.
    }
  }
  log(`generating ${file} ...`);
  rmSync(sidecar, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeFlags, ...argv, '--out', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (r.status !== 0) die(`generator failed for ${file} (exit ${r.status ?? r.signal})`);
  const gen = JSON.parse(r.stdout.trim().split('\n').pop());
  const info = { key, bytes: statSync(path).size, generatedInS: Math.round((performance.now() - t0) / 100) / 10, generator: gen };
  writeFileSync(sidecar, JSON.stringify(info, null, 2) + '\n');
  return info;
}

function serviceSnapshot(sizeName) {
  const { targetMb } = SIZES[sizeName];
  const key = { targetMb, seed: SEED, generator: sourceHash('gen-service-heap.mjs'), node: process.version };
  const file = `service-${targetMb}mb.heapsnapshot`;
  const info = cachedInput(file, key, [join(benchDir, 'gen-service-heap.mjs'), '--target-mb', String(targetMb), '--seed', String(SEED)], sizeName === 'large' ? GEN_NODE_FLAGS : []);
  return { path: join(outDir, file), bytes: info.bytes };
}

function permutedSnapshot(sizeName) {
  const original = serviceSnapshot(SIZES[sizeName].permutes);
  const seed = SEED;
  const key = { of: basenameOf(original.path), originalBytes: original.bytes, seed, generator: sourceHash('permute-snapshot.mjs') };
  const file = basenameOf(original.path).replace('.heapsnapshot', `-permuted-${seed}.heapsnapshot`);
  const info = cachedInput(file, key, [join(benchDir, 'permute-snapshot.mjs'), '--in', original.path, '--seed', String(seed)], GEN_NODE_FLAGS);
  return { path: join(outDir, file), bytes: info.bytes };
}

function scatteredSnapshot(sizeName) {
  const { nodes, locality } = SIZES[sizeName];
  const key = { nodes, locality, seed: SEED, generator: sourceHash('gen-scattered-heap.mjs') };
  const file = `scattered-${nodes}-loc${locality}.heapsnapshot`;
  const info = cachedInput(file, key, [join(benchDir, 'gen-scattered-heap.mjs'), '--nodes', nodes, '--locality', String(locality), '--seed', String(SEED)], []);
  return { path: join(outDir, file), bytes: info.bytes, nodes: info.generator.nodeCount, edges: info.generator.edgeCount };
}

function inputFor(sizeName) {
  if (SIZES[sizeName].permutes) return permutedSnapshot(sizeName);
  if (SIZES[sizeName].nodes) return scatteredSnapshot(sizeName);
  return serviceSnapshot(sizeName);
}

const basenameOf = (p) => p.slice(p.lastIndexOf('/') + 1);

function bigStringsSnapshot() {
  const count = 600000;
  const length = 1000;
  const key = { count, length, generator: sourceHash('gen-big-strings.mjs') };
  const file = `big-strings-${count}x${length}.heapsnapshot`;
  const info = cachedInput(file, key, [join(benchDir, 'gen-big-strings.mjs'), '--count', String(count), '--length', String(length)], []);
  return { path: join(outDir, file), bytes: info.bytes, stringChars: info.generator.stringChars };
}

// ---------------------------------------------------------------------------------------------
// Peers: installed into bench/peers on first run with the versions pinned in its package.json.

function peersInstalled() {
  return Object.entries(PEER_VERSIONS).every(([name, version]) => {
    const pj = join(peersDir, 'node_modules', name, 'package.json');
    return existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).version === version;
  });
}

function ensurePeers() {
  if (peersInstalled()) return null;
  log('installing peers into bench/peers (npm install, puppeteer browser download skipped) ...');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: peersDir,
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0 || !peersInstalled()) {
    const reason = `peer install failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`;
    log(reason);
    return reason;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Tools: each returns the node flags and script + arguments for one analysis of `file`.

function heapyMode() {
  const cliBuilt = existsSync(join(root, 'dist/src/cli/commands/summary.js'));
  if (opts.heapy === 'cli' && !cliBuilt) die('--heapy cli: dist/src/cli/commands/summary.js is not built');
  return opts.heapy === 'driver' || (opts.heapy === 'auto' && !cliBuilt) ? 'driver' : 'cli';
}

const TOOLS = {
  heapy: {
    label: () => (heapyMode() === 'cli' ? 'heapy (CLI summary --retained)' : 'heapy (engine driver)'),
    argv(file) {
      if (heapyMode() === 'cli') {
        const cli = [join(root, 'dist/src/cli/bin.js'), 'summary', file, '--retained'];
        // Without GNU time the CLI's own process reports its peak RSS through the wrapper.
        return { flags: [], script: gnuTime ? cli : [join(benchDir, 'with-rss.mjs'), ...cli] };
      }
      return { flags: [], script: [join(benchDir, 'heapy-driver.mjs'), file] };
    },
  },
  // Opt-in (--tools heapy,heapy-engine,...): the engine alone, with per-phase times, to see what
  // the CLI adds on top and where the engine's time goes.
  'heapy-engine': {
    label: () => 'heapy (engine driver)',
    argv: (file) => ({ flags: [], script: [join(benchDir, 'heapy-driver.mjs'), file] }),
  },
  devtools: {
    label: () => `heap-snapshot-toolkit ${PEER_VERSIONS['heap-snapshot-toolkit']}`,
    peer: true,
    argv: (file) => ({ flags: PEER_NODE_FLAGS, script: [join(benchDir, 'peer-devtools.mjs'), file] }),
  },
  memlab: {
    label: () => `memlab ${PEER_VERSIONS.memlab}`,
    peer: true,
    argv: (file) => ({ flags: PEER_NODE_FLAGS, script: [join(benchDir, 'peer-memlab.mjs'), file] }),
  },
};
for (const t of toolNames) if (!TOOLS[t]) die(`unknown tool ${t} (${Object.keys(TOOLS).join(', ')})`);

/** The line that best explains a failed run: a driver's error, V8's fatal line, or the last stderr line. */
function failureReason(stderr, result, code, signal, timedOut, timeoutS) {
  if (timedOut) return `timeout after ${timeoutS} s`;
  if (result?.error) return result.error;
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = lines.find((l) => /FATAL ERROR|out of memory|Invalid string length|Cannot create a string/i.test(l));
  if (fatal) return fatal.slice(0, 200);
  if (signal) return `killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}`;
  const errLine = [...lines].reverse().find((l) => /error/i.test(l) && !/^at /.test(l));
  return (errLine ?? lines.pop() ?? `exit code ${code}`).slice(0, 200);
}

let currentChild = null;
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
// Children run in their own process groups, so Ctrl-C on the bench must end them explicitly.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (currentChild) killGroup(currentChild);
    process.exit(130);
  });
}

/** Runs one tool on one file in a fresh child process; resolves to its wall time, peak RSS and result. */
/** Busy and total CPU ticks of the machine so far, from /proc/stat (null where there is none). */
function cpuTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Waits (up to 15 s) until the machine is quiet: under 10% of the CPUs busy over half a second.
 * A tool that frees gigabytes leaves the kernel busy handing that memory back for a while, and
 * the next run would pay for it; each run starts from a quiet machine instead.
 */
async function settle() {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuTicks();
    if (!a || !b || b.total === a.total || (b.busy - a.busy) / (b.total - a.total) < 0.1) return;
  }
}

function runOnce(toolName, file, timeoutS) {
  const { flags, script } = TOOLS[toolName].argv(file);
  const rssFile = join(tmpdir(), `heapy-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const nodeArgv = [process.execPath, ...flags, ...script];
  // %M peak RSS in kB, %U and %S user and system CPU seconds of the child.
  const [cmd, ...args] = gnuTime ? [gnuTime, '-f', '%M %U %S', '-o', rssFile, ...nodeArgv] : nodeArgv;
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    // Its own process group, so a timeout kills node too and not only GNU time above it (an
    // orphaned node would hold the pipes open and the run would never end).
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    currentChild = child;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      if (stdout.length > 1 << 20) stdout = stdout.slice(-(1 << 19));
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      currentChild = null;
      const wallS = (performance.now() - t0) / 1000;
      const resultLines = stdout.split('\n').filter((l) => l.startsWith(RESULT_TAG));
      let result = null;
      try {
        result = resultLines.length ? JSON.parse(resultLines[resultLines.length - 1].slice(RESULT_TAG.length)) : null;
      } catch {
        result = null;
      }
      let maxRssMB = result?.maxRssMB ?? null;
      let cpuS = null;
      if (gnuTime && existsSync(rssFile)) {
        // GNU time writes "Command terminated by signal N" first when the child was killed.
        const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        if (Number.isFinite(kb) && kb > 0) maxRssMB = Math.round(kb / 1024);
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuS = user + sys;
        rmSync(rssFile, { force: true });
      }
      // GNU time exits with the child's status; a child killed by a signal shows as 128+N there.
      const ok = !timedOut && code === 0 && !result?.error;
      // heapy's CLI states the object count in its first line, with or without --retained.
      const partition = /(?:Partition of a set of|sizes of a heap of) ([\d,]+) objects/.exec(stdout);
      resolvePromise({
        ok,
        wallS,
        cpuS,
        // The 1-minute load average at the end of the run: above 2 on this machine, other work
        // was competing for the cores and wall times are inflated.
        load1: Math.round(loadavg()[0] * 10) / 10,
        maxRssMB,
        result,
        objects: partition ? Number(partition[1].replace(/,/g, '')) : undefined,
        reason: ok ? undefined : failureReason(stderr, result, code, signal ?? (code !== null && code > 128 ? `signal ${code - 128}` : null), timedOut, timeoutS),
        stdoutHead: stdout.split('\n').filter((l) => !l.startsWith(RESULT_TAG)).slice(0, 16).join('\n'),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reporting.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const fmtS = (s) => (s < 10 ? s.toFixed(2) : s.toFixed(1));
const fmtRatio = (r) => (r === undefined ? '' : `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}x`);

function summarize(runs) {
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return { fails: runs[0]?.reason ?? 'no run' };
  return {
    runs: ok.length,
    failedRuns: runs.length - ok.length,
    wallS: median(ok.map((r) => r.wallS)),
    minWallS: Math.min(...ok.map((r) => r.wallS)),
    // CPU seconds suffer less than wall time when other work shares the 2 cores.
    cpuS: ok.every((r) => r.cpuS != null) ? median(ok.map((r) => r.cpuS)) : null,
    maxRssMB: ok.every((r) => r.maxRssMB !== null) ? Math.max(...ok.map((r) => r.maxRssMB)) : null,
    nodeCount: ok[0].result?.nodeCount,
    objects: ok[0].objects,
    phasesMs: ok[0].result?.phasesMs,
  };
}

function printTable(rows) {
  const header = ['input', 'file MB', 'tool', 'wall s (median)', 'min s', 'cpu s', 'peak RSS MB', 'heapy/tool time', 'heapy/tool RSS'];
  const body = rows.map((r) => [
    r.input, r.fileMB, r.tool,
    r.fails ? `fails: ${r.fails}` : fmtS(r.wallS),
    r.fails ? '' : fmtS(r.minWallS),
    r.fails || r.cpuS == null ? '' : fmtS(r.cpuS),
    r.fails || r.maxRssMB == null ? '' : String(r.maxRssMB),
    fmtRatio(r.timeRatio), fmtRatio(r.rssRatio),
  ]);
  // A failure reason can be long: let it overflow its column rather than widen the whole table.
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i].startsWith('fails:') ? 0 : b[i].length))));
  const line = (cells) => cells.map((c, i) => (i <= 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const b of body) {
    if (b[3].startsWith('fails:')) process.stdout.write(`${line(b.slice(0, 3))}  ${b[3]}\n`);
    else process.stdout.write(`${line(b)}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Main.

mkdirSync(outDir, { recursive: true });
if (!existsSync(join(root, 'dist/src/snapshot/index.js'))) die('dist/ is missing: run `npm run build` (npm run bench does it)');
const peerInstallError = toolNames.some((t) => TOOLS[t].peer) ? ensurePeers() : null;

const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, rssBy: gnuTime ? 'GNU time (ru_maxrss)' : 'process.resourceUsage().maxRSS', ...calibrate() };

/**
 * Two costs every tool pays on this machine, measured the same way each run: Node's start-up
 * (`node -e 0`, best of 3) and the first touch of fresh memory (64 MiB, one write a 4 KiB page, in
 * a fresh process: each touch is a page fault). On the VMs this bench was written on, a page
 * fault costs ~13 µs, so every MB a tool allocates costs ~3.5 ms before it computes anything.
 */
function calibrate() {
  let startS = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    startS = Math.min(startS, Number(process.hrtime.bigint() - t) / 1e9);
  }
  const touch = spawnSync(process.execPath, ['-e', `const t = performance.now(); const a = new Uint8Array(64 << 20);
for (let i = 0; i < a.length; i += 4096) a[i] = 1; process.stdout.write(String(performance.now() - t));`], { encoding: 'utf8' });
  const touchMs = Number(touch.stdout);
  return { nodeStartS: Math.round(startS * 1000) / 1000, firstTouch64MiBMs: Math.round(touchMs), pageFaultUs: Math.round((touchMs * 1000) / 16384 * 10) / 10 };
}
log(`tools: ${toolNames.map((t) => TOOLS[t].label()).join(', ')}; sizes: ${sizeNames.join(', ') || '(none)'}; peak RSS by ${machine.rssBy}`);

const rows = [];
const allRuns = [];

async function measure(inputName, input, runs, timeoutS, toolsHere, heapyRuns = runs) {
  const perTool = Object.fromEntries(toolsHere.map((t) => [t, []]));
  const runsOf = (t) => (TOOLS[t].peer ? runs : Math.max(runs, heapyRuns));
  const rounds = Math.max(...toolsHere.map(runsOf));
  for (let i = 0; i < rounds; i++) {
    // Tools take turns within each round, so a burst of load from other work on the machine
    // lands on all of them rather than on one tool's runs.
    for (const t of toolsHere) {
      if (i >= runsOf(t)) continue;
      if (TOOLS[t].peer && peerInstallError) {
        perTool[t].push({ ok: false, reason: peerInstallError });
        continue;
      }
      await settle();
      const r = await runOnce(t, input.path, timeoutS);
      perTool[t].push(r);
      allRuns.push({ input: inputName, tool: t, run: i + 1, ...r });
      log(`${inputName} ${t} run ${i + 1}/${runsOf(t)}: ${r.ok ? `${fmtS(r.wallS)} s${r.cpuS != null ? ` (cpu ${fmtS(r.cpuS)} s)` : ''}, ${r.maxRssMB} MB` : `fails: ${r.reason}`}`);
    }
  }
  const sums = Object.fromEntries(toolsHere.map((t) => [t, summarize(perTool[t])]));
  const h = sums.heapy;
  for (const t of toolsHere) {
    const s = sums[t];
    const row = { input: inputName, fileMB: (input.bytes / 1e6).toFixed(0), tool: TOOLS[t].label(), toolKey: t, ...s };
    // heapy-engine is heapy too (the engine alone): a ratio against it would compare heapy with itself.
    if (t !== 'heapy' && t !== 'heapy-engine' && h && !h.fails && !s.fails) {
      row.timeRatio = h.wallS / s.wallS;
      if (h.maxRssMB && s.maxRssMB) row.rssRatio = h.maxRssMB / s.maxRssMB;
    }
    rows.push(row);
  }
  return sums;
}

const inputs = {};
for (const size of sizeNames) {
  const input = inputFor(size);
  inputs[size] = input;
  const runs = opts.runs ? Number(opts.runs) : SIZES[size].runs;
  const toolsHere = SIZES[size].heapyOnly && !opts['peers-on-huge'] ? toolNames.filter((t) => !TOOLS[t].peer) : toolNames;
  await measure(size, input, runs, opts.timeout ? Number(opts.timeout) : SIZES[size].timeoutS, toolsHere, opts.runs ? runs : (SIZES[size].heapyRuns ?? runs));
}

let bigStrings = null;
if (doBigStrings) {
  const input = bigStringsSnapshot();
  inputs['big-strings'] = input;
  log(`big-strings snapshot: ${(input.stringChars / 2 ** 20).toFixed(0)} MiB of string characters`);
  // 300 s: memlab's reader re-flattens its growing string on every 4 MB chunk, so its time grows
  // with the square of the strings section (measured 38 s at 75 MB, 168 s at 150 MB of strings);
  // at 572 MiB it would run for most of an hour before V8's string limit stops it.
  bigStrings = await measure('big-strings', input, 1, opts.timeout ? Number(opts.timeout) : BIG_STRINGS_TIMEOUT_S, toolNames);
}

// Issue 5's figure, with --attach (or --large): streaming a ~200 MB heap from a live process into
// heapy, next to the target writing its own snapshot and a peer loading that file
// (bench/attach-bench.mjs prints its own table).
if (opts.attach || opts.large) {
  process.stdout.write('\n== live process (bench/attach-bench.mjs --mb 150)\n');
  const r = spawnSync(process.execPath, [join(benchDir, 'attach-bench.mjs'), '--mb', '150'], { stdio: 'inherit', timeout: 3_600_000 });
  if (r.status !== 0) process.stdout.write(`attach bench: exit ${r.status ?? r.signal}\n`);
}

// Issue 3's figure: partitioning the whole heap after load (bench/query-bench.mjs), on the largest
// service input of this run.
let query;
// The floor for the small file (bench/floor.mjs): Node's start-up plus the first touch of the
// arrays its graph needs, best of 3.
let floor = null;
if (inputs.small) {
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(benchDir, 'floor.mjs'), inputs.small.path], { encoding: 'utf8' });
    const wallS = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) break;
    const f = { ...JSON.parse(r.stdout), wallS: Math.round(wallS * 1000) / 1000 };
    if (!floor || f.wallS < floor.wallS) floor = f;
  }
}

const largestInput = ['large', 'medium', 'small'].map((k) => inputs[k]).find((x) => x);
if (largestInput && toolNames.includes('heapy')) {
  const r = spawnSync(process.execPath, [join(benchDir, 'query-bench.mjs'), largestInput.path], { encoding: 'utf8', timeout: 1_800_000 });
  try {
    query = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    query = { fails: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0] };
  }
}

process.stdout.write('\n');
printTable(rows);
process.stdout.write(`\n${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}; peak RSS by ${machine.rssBy}. ` +
  `Peers run with ${PEER_NODE_FLAGS.join(' ')}; heapy with Node's defaults. Ratios below 1 favour heapy.\n` +
  `Node's start-up (node -e 0): ${machine.nodeStartS} s; first touch of 64 MiB of fresh memory: ${machine.firstTouch64MiBMs} ms (${machine.pageFaultUs} µs a page fault).\n` +
  (allRuns.length ? `1-minute load average at the end of the runs: ${Math.min(...allRuns.map((r) => r.load1))} to ${Math.max(...allRuns.map((r) => r.load1))} (2 = both cores busy).\n` : ''));

// The issue's targets, checked where the input was measured.
const targets = [];
const heapyRow = (input) => rows.find((r) => r.input === input && r.toolKey === 'heapy');
const small = heapyRow('small');
if (small && !small.fails) {
  targets.push(`small: heapy ${fmtS(small.wallS)} s (target < 0.4 s) ${small.wallS < 0.4 ? 'MET' : 'NOT MET'}`);
  if (floor) {
    targets.push(`small: the floor here, before any parsing: Node's start-up and the first touch of the ${floor.arrayMB} MB of arrays ` +
      `a ${floor.nodes}-node, ${floor.edges}-edge graph needs take ${fmtS(floor.wallS)} s (bench/floor.mjs)`);
  }
  // The issue set 0.4 s where the DevTools engine took 1.1 s on this file: the same ratio here.
  const dt = rows.find((r) => r.input === 'small' && r.toolKey === 'devtools');
  if (dt && !dt.fails && dt.wallS) {
    const scaled = (0.4 * dt.wallS) / 1.1;
    targets.push(`small: the DevTools engine took ${fmtS(dt.wallS)} s here against the issue's 1.1 s; scaled alike, the target is ${fmtS(scaled)} s: ${small.wallS < scaled ? 'met' : 'not met'} at that scale`);
  }
}
const large = heapyRow('large');
if (large && !large.fails) {
  targets.push(`large: heapy ${fmtS(large.wallS)} s (target <= 8 s) ${large.wallS <= 8 ? 'MET' : 'NOT MET'}; ${large.maxRssMB} MB (target <= 1600 MB) ${large.maxRssMB <= 1600 ? 'MET' : 'NOT MET'}`);
  const dt = rows.find((r) => r.input === 'large' && r.toolKey === 'devtools');
  if (dt?.timeRatio) targets.push(`large: heapy/devtools time ${fmtRatio(dt.timeRatio)} (target <= 0.25x), RSS ${fmtRatio(dt.rssRatio)} (target <= 0.4x)`);
}
// Issue 18's goals, each printed beside its figure as a ratio.
const RATIO_GOALS = { small: { time: 0.3, rss: 0.45 }, medium: { time: 0.15, rss: 0.35 }, large: { time: 0.1, rss: 0.3 } };
const goal = (ok) => (ok ? 'MET' : 'NOT MET');
for (const [name, spec] of Object.entries(SIZES)) {
  const h = heapyRow(name);
  if (!h) continue;
  if (h.fails) {
    targets.push(`${name}: heapy fails: ${h.fails}`);
    continue;
  }
  const fileMB = Number(h.fileMB);
  const eng = rows.find((r) => r.input === name && r.toolKey === 'heapy-engine' && !r.fails);
  const phasesMs = h.phasesMs ?? eng?.phasesMs;
  const phases = phasesMs ? `; phases ${Object.entries(phasesMs).map(([k, v]) => `${k} ${fmtS(v / 1000)} s`).join(', ')}` : '';
  if (spec.permutes) {
    const o = heapyRow(spec.permutes);
    if (o && !o.fails) {
      const r = h.wallS / o.wallS;
      // CPU seconds too: on a loaded machine one run's wall time can hide what locality costs.
      const cpu = h.cpuS && o.cpuS ? `; CPU ${fmtS(h.cpuS)} s against ${fmtS(o.cpuS)} s: ${fmtRatio(h.cpuS / o.cpuS)}` : '';
      targets.push(`${name}: heapy ${fmtS(h.wallS)} s on the permuted ${spec.permutes} file against ${fmtS(o.wallS)} s on the original: ${fmtRatio(r)} (goal <= 1.5x) ${goal(r <= 1.5)}${cpu}`);
    }
  } else if (RATIO_GOALS[name]) {
    // Issue 18's ratios to DevTools' engine on the service-like files, time and peak RSS.
    const dt = rows.find((r) => r.input === name && r.toolKey === 'devtools' && !r.fails);
    const g = RATIO_GOALS[name];
    if (dt?.timeRatio) {
      const cpu = h.cpuS && dt.cpuS ? `; CPU ${fmtRatio(h.cpuS / dt.cpuS)}` : '';
      targets.push(`${name}: heapy/devtools time ${fmtRatio(dt.timeRatio)} (goal <= ${g.time}x) ${goal(dt.timeRatio <= g.time)}, ` +
        `RSS ${fmtRatio(dt.rssRatio)} (goal <= ${g.rss}x) ${goal(dt.rssRatio <= g.rss)}${cpu}`);
    } else {
      targets.push(`${name}: heapy/devtools ratios n/a (devtools ${dt ? 'failed' : 'not run'}; goals <= ${g.time}x time, <= ${g.rss}x RSS)`);
    }
  } else if (spec.nodes) {
    const dt = rows.find((r) => r.input === name && r.toolKey === 'devtools');
    const rss = h.maxRssMB ? h.maxRssMB / fileMB : undefined;
    const what = `${name} (${inputs[name]?.nodes ?? spec.nodes} nodes, ${inputs[name]?.edges ?? '?'} edges, ${fileMB} MB, locality ${spec.locality}): heapy ${fmtS(h.wallS)} s, ${h.maxRssMB} MB peak RSS = ${fmtRatio(rss)} the file`;
    if (name === 'scattered10m') {
      targets.push(`${what}; heapy/devtools time ${dt?.timeRatio ? fmtRatio(dt.timeRatio) : `n/a (${dt?.fails ?? 'devtools not run'})`} (goal <= 0.15x) ${dt?.timeRatio ? goal(dt.timeRatio <= 0.15) : ''}${phases}`);
    } else if (name === 'scattered70m') {
      targets.push(`${what}; goals <= 60 s ${goal(h.wallS <= 60)}, <= 1.25x the file ${rss ? goal(rss <= 1.25) : ''}${phases}`);
    } else {
      targets.push(`${what} (goal: fully analysed) MET${phases}`);
    }
  }
}
if (bigStrings) {
  const h = bigStrings.heapy;
  targets.push(`big-strings: heapy ${h && !h.fails ? `loaded ${h.nodeCount ?? h.objects} nodes` : `FAILED (${h?.fails})`}; ` +
    ['devtools', 'memlab'].filter((t) => bigStrings[t]).map((t) => `${t} ${bigStrings[t].fails ? `fails: ${bigStrings[t].fails}` : 'loaded it'}`).join('; '));
}
if (query && !query.fails) {
  targets.push(`query (${query.nodes} nodes): HeapSet.all ${query.allS} s, partition by kind ${query.partitionByKindS} s (target well under 1 s) ` +
    `${query.allS + query.partitionByKindS < 1 ? 'MET' : 'NOT MET'}; by type ${query.partitionByTypeS} s, by size ${query.partitionBySizeS} s, 10 paths ${query.sp10S} s`);
} else if (query) {
  targets.push(`query: fails: ${query.fails}`);
}
if (targets.length) process.stdout.write(`\n${targets.join('\n')}\n`);

const resultsPath = join(outDir, 'results.json');
const report = JSON.stringify({
  date: new Date().toISOString(),
  machine,
  peerVersions: PEER_VERSIONS,
  peerNodeFlags: PEER_NODE_FLAGS,
  heapyMode: toolNames.includes('heapy') ? heapyMode() : undefined,
  inputs,
  table: rows,
  runs: allRuns.map(({ stdoutHead, ...r }) => r),
  targets,
  query,
  floor,
}, null, 2) + '\n';
writeFileSync(resultsPath, report);
// A dated copy too, so a quick run does not overwrite the figures of an earlier full one.
const dated = join(outDir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(dated, report);
process.stdout.write(`\nresults: ${resultsPath} (and ${dated})\n`);
