// A capture-cost target: builds a heap of one shape (argv[2]) of about argv[3] MB and prints
// {"pid":..} when ready. Used by bench/capture-cost.mjs.
const shape = process.argv[2];
const mb = Number(process.argv[3] ?? '100');
const bytes = mb * 1024 * 1024;
const keep = [];
if (shape === 'small-objects') {
  // {a, b, c} objects of 28 B each (3 in-object fields) plus 8 B per array slot: ~36 B an object.
  const n = Math.round(bytes / 36);
  for (let i = 0; i < n; i++) keep.push({ a: i, b: i + 1, c: null });
} else if (shape === 'big-strings') {
  // 1 MiB one-byte strings, each distinct. Node makes a string this long from a Buffer an
  // external string (its characters outside V8's heap, as strings read from files often are):
  // measured heapUsed 3.5 MiB for the 200 of them.
  const buf = Buffer.alloc(1 << 20, 'x');
  for (let i = 0; i < mb; i++) {
    buf.write(String(i).padStart(8, '0'));
    keep.push(buf.toString('latin1'));
  }
} else if (shape === 'big-arrays') {
  // Half in 1M-element double arrays (in V8's heap), half in typed arrays (backing stores outside it).
  for (let i = 0; i < mb / 16; i++) keep.push(new Array(1 << 20).fill(i + 0.5));
  for (let i = 0; i < mb / 16; i++) keep.push(new Float64Array(1 << 20).fill(i));
} else {
  process.stderr.write(`unknown shape ${shape}\n`);
  process.exit(2);
}
globalThis.kept = keep;
process.stdout.write(JSON.stringify({ pid: process.pid, heapUsed: process.memoryUsage().heapUsed }) + '\n');
setInterval(() => {}, 1000);
