// A program whose memory stays flat: everything it keeps is allocated up front, and the work loop
// makes only short-lived garbage (about 20 KB per 10 ms tick). Marks 'steady' when setup is done,
// so a test can fit its trend from there on. Runs HEAPY_TEST_SECONDS (default 3) seconds.
import { mark } from '../../dist/src/monitor/mark.js';

const seconds = Number(process.env.HEAPY_TEST_SECONDS ?? 3);
const table = Array.from({ length: 50_000 }, (_, i) => ({ id: i, name: `row-${i}` }));
let checksum = 0;
mark('steady');
const timer = setInterval(() => {
  const tmp = [];
  for (let i = 0; i < 200; i++) tmp.push({ i, s: String(i) });
  checksum += tmp.length + table.length;
}, 10);
setTimeout(() => {
  clearInterval(timer);
  console.log(`steady done ${checksum > 0}`);
}, seconds * 1000);
