// An ES module whose state is a module-level `const locks = []` of 100 Lock objects, kept alive by
// a timer callback that closes over it (so the shortest path runs through Node's timer list and
// that closure's context). Plain Node with no heapy inside; writes one snapshot to argv[2].
import { writeHeapSnapshot } from 'node:v8';

class Lock {
  constructor(id) {
    this.id = id;
  }
}
const locks = [];
for (let i = 0; i < 100; i++) locks.push(new Lock(i));
setInterval(() => {
  if (locks.length === 0) console.log('no locks');
}, 100_000).unref();
writeHeapSnapshot(process.argv[2]);
