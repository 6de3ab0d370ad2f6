// A long-running target for `heapy monitor` and `heapy alloc <pid>`: prints 'ready <pid>', then every
// 20 ms keeps about 100 KB more in `retained` (the arrow function on line 10) and every 200 ms calls
// mark('tick <n>'). Stops after HEAPY_TEST_SECONDS (default 20) seconds or on SIGTERM.
import { mark } from '../../dist/src/monitor/mark.js';

const seconds = Number(process.env.HEAPY_TEST_SECONDS ?? 20);
globalThis.retained = [];
let n = 0;
const marks = setInterval(() => mark(`tick ${++n}`), 200);
const grow = setInterval(() => {
  for (let i = 0; i < 1000; i++) globalThis.retained.push({ i, s: `kept-${i}-${n}` });
}, 20);
const stop = () => {
  clearInterval(marks);
  clearInterval(grow);
};
process.on('SIGTERM', stop);
setTimeout(stop, seconds * 1000).unref();
console.log(`ready ${process.pid}`);
