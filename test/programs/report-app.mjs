// A program whose heap has a known top kind and known holders, for the report tests. It knows
// nothing about heapy (mark() is a no-op unless heapy's probe is loaded).
//
//   node report-app.mjs a.heapsnapshot [b.heapsnapshot c.heapsnapshot]
//
// a: 40,000 ReportWidget objects (about 4 MB: ten small-integer fields each, no strings, so they
//    outweigh every V8-internal kind) in globalThis.widgetRegistry.widgets.
// b, c: after each, 5,000 more LeakedOrder objects are appended to globalThis.orderLog.entries and
//    never removed (the leak the diff and leak sections must show).
import v8 from 'node:v8';
import { mark } from '../../dist/src/monitor/mark.js';

class ReportWidget {
  constructor(i) {
    this.index = i;
    this.a = i & 7;
    this.b = i & 15;
    this.c = i & 31;
    this.d = i & 63;
    this.e = i & 127;
    this.f = i & 255;
    this.g = i & 511;
    this.h = i & 1023;
    this.k = i & 2047;
  }
}

class WidgetRegistry {
  constructor() {
    this.widgets = [];
  }
}

class LeakedOrder {
  constructor(n) {
    this.n = n;
    this.lines = [n, n + 1, n + 2];
    this.note = `order #${n}`;
  }
}

class OrderLog {
  constructor() {
    this.entries = [];
  }
}

globalThis.widgetRegistry = new WidgetRegistry();
for (let i = 0; i < 40_000; i++) globalThis.widgetRegistry.widgets.push(new ReportWidget(i));
globalThis.orderLog = new OrderLog();

const outs = process.argv.slice(2);
let n = 0;
for (const [i, out] of outs.entries()) {
  if (i > 0) {
    mark(`leak ${i}`);
    for (let k = 0; k < 5_000; k++) globalThis.orderLog.entries.push(new LeakedOrder(n++));
    // Short-lived garbage between snapshots: must not show as a leak.
    let junk = [];
    for (let k = 0; k < 20_000; k++) junk.push({ k });
    junk = null;
  }
  mark(`snapshot ${i}`);
  v8.writeHeapSnapshot(out);
}
