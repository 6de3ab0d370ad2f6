// The seed's Issue #2 in Node: TradeMessage objects meant to be short-lived pile up in a
// subscriber's queue that is never drained because the messaging client never connects. The
// structure mirrors the seed's path: hub._unreads.get('DataSource')[0]._queue.items[i].
// Plain Node with no heapy inside; writes base/target/final .heapsnapshot files into argv[2].
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
const ROUND = Number(process.argv[3] ?? 1000);

class TradeMessage {
  constructor(seq, symbol, price) {
    this.seq = seq;
    this.symbol = symbol;
    this.price = price;
    this.venue = `XPRA-${seq % 7}`;
  }
}

class MessageQueue {
  constructor() {
    this.items = [];
  }
  put(m) {
    this.items.push(m);
  }
}

class Subscriber {
  constructor(name) {
    this.name = name;
    this._queue = new MessageQueue();
    this.connected = false;
  }
  deliver(m) {
    this._queue.put(m);
    // Sending (and dequeuing) only happens once connected, which never happens.
    if (this.connected) this._queue.items.length = 0;
  }
}

class Hub {
  constructor() {
    this._unreads = new Map();
  }
  subscribe(source, sub) {
    if (!this._unreads.has(source)) this._unreads.set(source, []);
    this._unreads.get(source).push(sub);
  }
  publish(source, m) {
    for (const s of this._unreads.get(source) ?? []) s.deliver(m);
  }
}

const hub = new Hub();
hub.subscribe('DataSource', new Subscriber('trades-out'));
let seq = 0;
const timer = setInterval(() => hub._unreads.size, 1000);

function round(n) {
  for (let i = 0; i < n; i++) {
    seq++;
    hub.publish('DataSource', new TradeMessage(seq, ['AAPL', 'MSFT', 'CEZ'][seq % 3], 100 + (seq % 50) / 7));
  }
}

await writeTrio(dir, () => round(ROUND));
clearInterval(timer);
