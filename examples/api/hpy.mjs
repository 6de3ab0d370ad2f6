// hpy(): the heap of this very process. Take a reference point, allocate, and see what is new.
// Run: node examples/api/hpy.mjs
import { hpy } from 'heapy';

class Order {
  constructor(id) {
    this.id = id;
    this.lines = [{ sku: `sku-${id}`, qty: 1 }];
  }
}

const h = hpy();
await h.setref(); // later heap() calls show only what was allocated after this
globalThis.orders = Array.from({ length: 5000 }, (_, i) => new Order(i));

const heap = await h.heap();
console.log(String(heap)); // guppy's table: Index Count % Size % Cumulative % Kind
const order = heap.partition.rows.findIndex((r) => r.label === 'Order');
console.log(`Order objects since setref: ${heap.partition.rows[order].count}`);
console.log(String(heap.at(order).byId.at(0).sp)); // how one of them is reached from the roots
h.close();
