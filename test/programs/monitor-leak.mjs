// A program that leaks: every 20 ms it keeps about 200 KB more (2,000 objects with strings) in a
// global array, about 10 MB/s. The leaking callback is the arrow function on line 9. Marks
// 'leaking' when it starts. Runs HEAPY_TEST_SECONDS (default 3) seconds.
import { mark } from '../../dist/src/monitor/mark.js';

const seconds = Number(process.env.HEAPY_TEST_SECONDS ?? 3);
globalThis.leaked = [];
mark('leaking');
const timer = setInterval(() => {
  for (let i = 0; i < 2000; i++) globalThis.leaked.push({ i, s: `leaked-${i}-${Date.now()}` });
}, 20);
setTimeout(() => {
  clearInterval(timer);
  console.log(`leak done ${globalThis.leaked.length}`);
}, seconds * 1000);
