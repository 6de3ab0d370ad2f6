// An async market-data processor, heapy's demo service. It knows nothing about heapy.
//
// It has the three problems of the Quantlane write-up heapy's tour follows:
//  1. NanoTime instances get fields added after construction, so V8 moves those fields out of
//     the object into a separate property store (the V8 form of Python's per-instance __dict__);
//  2. TradeMessages pile up in a publisher queue that is never drained (the messaging system is
//     misconfigured), reached through a hub's Map of unread sources;
//  3. a flood of pending async tasks, each waiting on a promise that settles late.
import http from 'node:http';

const MESSAGES_PER_TICK = Number(process.env.DEMO_RATE ?? 400);

class NanoTime {
  constructor(ns) {
    this.ns = ns;
  }
  static now() {
    const t = new NanoTime(process.hrtime.bigint());
    // Decorating after construction: each assignment adds a property the constructor never made.
    t.exchange = 'XPRG';
    t.received = Date.now();
    t.source = 'feed-a';
    t.sequence = seq;
    t.latencyNs = 0;
    t.checked = false;
    t.venue = 'main';
    t.session = 'day';
    t.flags = 0;
    t.origin = 'udp';
    t.batch = seq >> 6;
    t.shard = seq & 7;
    return t;
  }
}

class TradeMessage {
  constructor(symbol, price, volume) {
    this.symbol = symbol;
    this.price = price;
    this.volume = volume;
    this.time = NanoTime.now();
    this.payload = `${symbol}:${price.toFixed(2)}x${volume}`;
  }
}

class PublisherQueue {
  constructor() {
    this.messages = [];
    this.connected = false; // misconfigured: never connects, so flush() never runs
  }
  push(message) {
    this.messages.push(message);
    if (this.connected) this.flush();
  }
  flush() {
    this.messages.length = 0;
  }
}

class Publisher {
  constructor(name) {
    this.name = name;
    this._queue = new PublisherQueue();
  }
}

class Hub {
  constructor() {
    this._unreads = new Map();
  }
  subscribe(source) {
    const publishers = [new Publisher(`${source}-primary`)];
    this._unreads.set(source, publishers);
    return publishers;
  }
}

const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'AVGO'];
let seq = 0;

class Service {
  constructor() {
    this._hub = new Hub();
    this._hub.subscribe('DataSource');
    this.lastPrices = new Map();
    this.pending = 0;
  }
  tick() {
    for (let i = 0; i < MESSAGES_PER_TICK; i++) {
      seq++;
      const symbol = symbols[seq % symbols.length];
      const price = 100 + (seq % 997) / 10;
      const message = new TradeMessage(symbol, price, 1 + (seq % 500));
      this.lastPrices.set(symbol, message.time);
      this._hub._unreads.get('DataSource')[0]._queue.push(message);
    }
    // Each tick starts async work that waits on an acknowledgement that comes much later.
    for (let i = 0; i < 50; i++) this.process(seq + i);
  }
  async process(id) {
    this.pending++;
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    this.pending--;
    return id;
  }
}

globalThis.service = new Service();
const timer = setInterval(() => globalThis.service.tick(), 100);

// A tiny status endpoint, as real services have; port 0 unless DEMO_PORT says otherwise.
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ seq, pending: globalThis.service.pending, queued: globalThis.service._hub._unreads.get('DataSource')[0]._queue.messages.length }));
});
server.listen(Number(process.env.DEMO_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`market-data service pid ${process.pid} listening on 127.0.0.1:${server.address().port}\n`);
});

const stop = () => {
  clearInterval(timer);
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
