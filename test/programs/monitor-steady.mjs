// A program whose memory stays flat: everything it keeps is allocated up front, and the work loop
// makes only short-lived garbage. Runs for HEAPY_TEST_SECONDS (default 3) seconds.
const seconds = Number(process.env.HEAPY_TEST_SECONDS ?? 3);
const table = Array.from({ length: 50_000 }, (_, i) => ({ id: i, name: `row-${i}` }));
let checksum = 0;
const timer = setInterval(() => {
  // About 20 KB of garbage per tick, dead by the next one.
  const tmp = [];
  for (let i = 0; i < 200; i++) tmp.push({ i, s: String(i) });
  checksum += tmp.length + table.length;
}, 10);
setTimeout(() => {
  clearInterval(timer);
  console.log(`steady done ${checksum > 0}`);
}, seconds * 1000);
