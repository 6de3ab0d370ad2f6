// An event-listener leak, plain Node with no heapy inside: every client subscription adds a
// 'price' listener to a long-lived feed and never removes it. Writes base/target/final
// .heapsnapshot files into the directory given as argv[2], at moments it chooses.
import { EventEmitter } from 'node:events';
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
const ROUND = Number(process.argv[3] ?? 500);

class PriceFeed extends EventEmitter {}
class Subscription {
  constructor(id) {
    this.id = id;
    this.last = [];
  }
}

const feed = new PriceFeed();
feed.setMaxListeners(0);
let nextId = 1;

// The bug: the client goes away, but the listener (and its Subscription) stays on the feed.
function subscribe() {
  const sub = new Subscription(nextId++);
  feed.on('price', function onPrice(p) {
    sub.last.push(p);
    if (sub.last.length > 3) sub.last.shift();
  });
  return sub;
}

const ticker = setInterval(() => feed.emit('price', Math.random()), 1);

async function round(n) {
  for (let i = 0; i < n; i++) {
    subscribe();
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
  }
}

await writeTrio(dir, () => round(ROUND));
clearInterval(ticker);
