// A cluster: the primary forks two workers; each worker keeps about 20 MB for 2.5 s and exits;
// the primary exits when both are gone.
const cluster = require('node:cluster');
if (cluster.isPrimary) {
  let alive = 2;
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on('exit', () => {
    if (--alive === 0) console.log('cluster done');
  });
} else {
  const keep = Buffer.alloc(20 * 1024 * 1024, 7);
  const objs = Array.from({ length: 50_000 }, (_, i) => ({ i }));
  setTimeout(() => process.exit(keep[0] === 7 && objs.length > 0 ? 0 : 1), 2500);
}
