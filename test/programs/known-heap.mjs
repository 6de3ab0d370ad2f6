// A program whose heap has known contents, for tests: it builds them, writes a snapshot to the
// path given as argv[2], and exits. It knows nothing about heapy.
import v8 from 'node:v8';

class Node50 {
  constructor(i) {
    this.index = i;
    this.label = `node-${i}`;
  }
}

// Objects that grow fields after construction: their fields spill into a property store.
class Stamp {
  constructor(ns) {
    this.ns = ns;
  }
}

class Message {
  constructor(seq) {
    this.seq = seq;
    this.body = `message body ${seq}`;
  }
}

class Queue {
  constructor() {
    this.messages = [];
  }
}

const cache = new Map();
for (let i = 0; i < 50; i++) cache.set(`k${i}`, new Node50(i));

const stamps = [];
for (let i = 0; i < 200; i++) {
  const s = new Stamp(i);
  for (let f = 0; f < 12; f++) s[`extra${f}`] = `v${i}-${f}`;
  stamps.push(s);
}

const service = { hub: { unreads: new Map([['DataSource', [{ queue: new Queue() }]]]) } };
for (let i = 0; i < 30; i++) service.hub.unreads.get('DataSource')[0].queue.messages.push(new Message(i));

const big = new Array(1000).fill(0).map((_, i) => ({ i }));
function makeHolder() {
  const held = big;
  return function holder() {
    return held.length;
  };
}

globalThis.cache = cache;
globalThis.stamps = stamps;
globalThis.service = service;
globalThis.holder = makeHolder();

v8.writeHeapSnapshot(process.argv[2]);
