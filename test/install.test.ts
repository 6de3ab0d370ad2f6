// Installing heapy as users install tools (issue 19): the packed tarball, installed into a fresh
// global prefix and into a fresh project, runs `heapy --help`, `heapy summary` and `heapy report`
// (which reads the report's browser code at run time) and imports as `heapy` and `heapy/testing`.
// The dependencies (ws, @viz-js/viz, pprof-format) come from npm's cache: --prefer-offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { repoRoot } from './helpers/snapshots.js';

// npm run by `npm test` passes its own settings on as npm_config_* variables; the installs here
// must see a user's plain environment instead.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const quiet = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

function run(file: string, args: string[], cwd: string) {
  const r = spawnSync(file, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr + (r.error ? String(r.error) : '') };
}

test('the packed tarball installs globally and into a project, and runs from there', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'heapy-install-'));
  try {
    // The tests run after the build, so pack what it built (prepare would rebuild dist/ under
    // the other tests' feet).
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repoRoot, env, encoding: 'utf8' })) as [{ filename: string; version: string; files: { path: string }[] }];
    const tarball = join(work, packed[0].filename);
    const files = new Set(packed[0].files.map((f) => f.path));

    // What ships: the built library and CLI, the demo's service, nothing of the tests or benches.
    for (const f of files) assert.ok(!/^(test|bench|scripts|src|dist\/test)\/|\.map$|\.tsbuildinfo$/.test(f), `shipped: ${f}`);
    for (const f of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/bin.js', 'dist/src/api/testing.js', 'examples/market-data/service.mjs', 'examples/api/attach.mjs', 'docs/schemas/partition.json']) {
      assert.ok(files.has(f), `missing: ${f}`);
    }
    // Every file the code opens beside itself (`new URL('./x.js', import.meta.url)`: workers, the
    // report's browser code, the run probe, the demo service, package.json) is in the tarball.
    let opened = 0;
    for (const f of files) {
      if (!f.endsWith('.js')) continue;
      const text = readFileSync(join(repoRoot, f), 'utf8');
      for (const m of text.matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)) {
        const target = posix.normalize(posix.join(posix.dirname(f), m[1]!));
        opened++;
        if (target.endsWith('/')) assert.ok([...files].some((g) => g.startsWith(target)), `${f} opens ${target}`);
        else assert.ok(files.has(target), `${f} opens ${target}, which is not packed`);
      }
    }
    assert.ok(opened >= 6, `found ${opened} files opened at run time`);

    // A small real snapshot, written by a Node process.
    const snap = join(work, 'small.heapsnapshot');
    execFileSync(process.execPath, ['-e', `globalThis.keep = Array.from({ length: 2000 }, (_, i) => ({ i, s: 'x' + i })); require('v8').writeHeapSnapshot(${JSON.stringify(snap)})`]);

    // npm install -g into a fresh prefix: the heapy command.
    const prefix = join(work, 'prefix');
    const g = run('npm', ['install', '-g', '--prefix', prefix, ...quiet, tarball], work);
    assert.equal(g.code, 0, g.err);
    const bin = join(prefix, 'bin', 'heapy');
    const help = run(bin, ['--help'], work);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /^usage: heapy <command>/);
    assert.equal(run(bin, ['--version'], work).out, `${packed[0].version}\n`);
    const summary = run(bin, ['summary', snap], work);
    assert.equal(summary.code, 0, summary.err);
    assert.match(summary.out, /^Partition of a set of \d+ objects\. Total size = \d+ bytes\./);
    assert.match(summary.out, /\bObject\b/);
    const report = run(bin, ['report', snap, '-o', join(work, 'small.html')], work);
    assert.equal(report.code, 0, report.err);
    const page = readFileSync(join(work, 'small.html'), 'utf8');
    assert.match(page, /^<!doctype html>/i);
    assert.ok(page.length > 50_000 && page.includes('<script'), 'the page carries the bundled browser code');

    // npx from the tarball, with no install.
    const once = run('npx', ['--yes', ...quiet, '--package', tarball, 'heapy', '--version'], work);
    assert.equal(once.code, 0, once.err);
    assert.equal(once.out, `${packed[0].version}\n`);

    // As a dependency of a service: import { hpy } from 'heapy', heapy/testing, heapy/pprof, and npx heapy.
    const app = join(work, 'service');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'service', private: true, type: 'module' }));
    const dep = run('npm', ['install', ...quiet, tarball], app);
    assert.equal(dep.code, 0, dep.err);
    assert.ok(existsSync(join(app, 'node_modules', 'heapy', 'package.json')));
    const script = `
      import { hpy, loadSnapshotFile } from 'heapy';
      import { assertNoLeak } from 'heapy/testing';
      import { heapProfileHandler } from 'heapy/pprof';
      const snap = await loadSnapshotFile(${JSON.stringify(snap)});
      const h = hpy();
      console.log(JSON.stringify({ nodes: snap.nodeCount, hpy: typeof h.heap, assertNoLeak: typeof assertNoLeak, pprof: typeof heapProfileHandler }));`;
    const imported = run(process.execPath, ['--input-type=module', '-e', script], app);
    assert.equal(imported.code, 0, imported.err);
    const seen = JSON.parse(imported.out) as { nodes: number; hpy: string; assertNoLeak: string; pprof: string };
    assert.ok(seen.nodes > 2000, `nodes ${seen.nodes}`);
    assert.deepEqual([seen.hpy, seen.assertNoLeak, seen.pprof], ['function', 'function', 'function']);
    const npx = run('npx', ['--offline', 'heapy', 'summary', snap, '--top', '3'], app);
    assert.equal(npx.code, 0, npx.err);
    assert.equal(npx.out.split('\n')[0], summary.out.split('\n')[0]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
