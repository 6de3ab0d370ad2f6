// A program that spikes then frees: flat for 1 s, then holds a 150 MB buffer (touched, so it is
// resident) and 300,000 objects until 2 s, frees them, and stays flat until 3 s.
// Run with --expose-gc so the free is immediate. Marks 'spike' and 'freed' through heapy's mark().
import { mark } from '../../dist/src/monitor/mark.js';

let held = null;
setTimeout(() => {
  mark('spike');
  const buf = Buffer.alloc(150 * 1024 * 1024, 1);
  const objs = Array.from({ length: 300_000 }, (_, i) => ({ i, tag: 'spike' }));
  held = { buf, objs };
}, 1000);
setTimeout(() => {
  held = null;
  globalThis.gc?.();
  mark('freed');
}, 2000);
setTimeout(() => console.log(`spike done ${held === null}`), 3000);
