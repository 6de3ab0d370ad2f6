// An attach target with a heap of roughly the size asked for (argv[2], in MB; default 50), made of
// many small objects, strings and arrays, like a cache-heavy service. Prints {"pid":..} when ready.
// Used by the attach tests (a snapshot that takes long enough to interrupt) and bench/attach-bench.mjs.
const targetMb = Number(process.argv[2] ?? '50');

class CacheEntry {
  constructor(key, value, tags) {
    this.key = key;
    this.value = value;
    this.tags = tags;
    this.hits = 0;
  }
}

const cache = new Map();
// One entry is about 250 bytes of heap (entry, key string, value object, tags array, map slot).
const entries = Math.round((targetMb * 1024 * 1024) / 250);
for (let i = 0; i < entries; i++) {
  const key = `user:${i}:profile`;
  cache.set(key, new CacheEntry(key, { id: i, score: i % 997, name: `n${i % 10007}` }, [i % 7, i % 11]));
}

setInterval(() => {
  const e = cache.get(`user:${Math.floor(Math.random() * entries)}:profile`);
  if (e) e.hits++;
}, 50);

process.stdout.write(JSON.stringify({ pid: process.pid, entries, heapUsed: process.memoryUsage().heapUsed }) + '\n');
