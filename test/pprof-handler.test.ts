// heapy/pprof's heapProfileHandler in a real service (a child process on 127.0.0.1): the profile
// Go's /debug/pprof/heap serves (gzip, application/octet-stream), decoded with pprof-format: the
// sample types, the function that allocated with its file and line, a plausible total; other
// paths go to the app; stop() turns V8's sampling off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Profile } from 'pprof-format';
import { repoRoot } from './helpers/snapshots.js';

const program = join(repoRoot, 'test', 'programs', 'pprof-service.mjs');

test('heapProfileHandler serves the live heap as gzipped pprof, and stop() ends sampling', async (t) => {
  const child = spawn(process.execPath, [program], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`service exited ${code}: ${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  const res = await fetch(`${base}/debug/pprof/heap?gc=1`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  assert.match(res.headers.get('content-disposition') ?? '', /filename="heap"/);
  const body = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...body.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
  const p = Profile.decode(gunzipSync(body));
  const s = p.stringTable.strings;
  assert.deepEqual(p.sampleType.map((v) => `${s[Number(v.type)]}/${s[Number(v.unit)]}`), ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(Number(p.period), 512 * 1024);

  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const loc = new Map(p.location.map((l) => [Number(l.id), l]));
  // Bytes of the samples whose stack passes through retainRecords, and where pprof says it is.
  let total = 0;
  let inRetain = 0;
  const places = new Set<string>();
  for (const sample of p.sample) {
    const bytes = Number(sample.value[1]);
    total += bytes;
    let hit = false;
    for (const id of sample.locationId) {
      const line = loc.get(Number(id))!.line[0]!;
      const f = fn.get(Number(line.functionId))!;
      if (s[Number(f.name)] === 'retainRecords') {
        hit = true;
        places.add(`${s[Number(f.filename)]}:${Number(line.line)}`);
      }
    }
    if (hit) inRetain += bytes;
  }
  // Defined on line 10 of the program: V8 positions a frame at its function's start.
  assert.deepEqual([...places], [`${program}:10`]);
  // 200,000 records of an object, a string and a 3-element array after the handler started: ~20 MB
  // live; the estimate of a 512 KiB sampler is within a factor of two of it.
  assert.ok(inRetain > 8e6 && inRetain < 60e6, `retainRecords holds ${inRetain} bytes`);
  assert.ok(total >= inRetain && total < 200e6, `total ${total}`);

  const app = await fetch(`${base}/other`);
  assert.equal(await app.text(), 'app\n');
  const post = await fetch(`${base}/debug/pprof/heap`, { method: 'POST' });
  assert.equal(post.status, 405);

  const stop = (await (await fetch(`${base}/stop`)).json()) as { off: boolean };
  assert.equal(stop.off, true, 'V8 sampling is off after stop()');
  const after = await fetch(`${base}/debug/pprof/heap`);
  assert.equal(after.status, 503);
});
