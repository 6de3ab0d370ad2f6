// The seed's Issue #1 in Node: a NanoTime class whose instances go to dictionary mode (a field
// is deleted, then many are added outside the constructor), and a tick history that keeps every
// instance. Plain Node with no heapy inside; writes base/target/final .heapsnapshot files into
// the directory argv[2].
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
const ROUND = Number(process.argv[3] ?? 800);

class NanoTime {
  constructor(ns) {
    this.scratch = ns % 1000;
    this.nanoseconds = ns;
    // The bug: deleting a field other than the last one added sends the object to dictionary
    // mode (V8 only undoes the very last addition in place), and so do fields added later.
    delete this.scratch;
  }
}

class TickHistory {
  constructor() {
    this.ticks = [];
  }
  record(t) {
    this.ticks.push(t);
  }
}

const history = new TickHistory();
let ns = 1_700_000_000_000_000_000n;
const timer = setInterval(() => history.ticks.length, 1000);

function round(n) {
  for (let i = 0; i < n; i++) {
    ns += 1000n;
    const t = new NanoTime(Number(ns % 1_000_000_000n));
    for (let f = 0; f < 8; f++) t[`field${f}`] = f * i;
    t.source = 'feed';
    history.record(t);
  }
}

await writeTrio(dir, () => round(ROUND));
clearInterval(timer);
