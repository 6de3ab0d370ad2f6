// A program that allocates in one known function, `grow`, on line 6: about 2,000 objects with strings
// every 20 ms, all kept. Everything else here allocates far less. Runs HEAPY_TEST_SECONDS (default 3) s.
const seconds = Number(process.env.HEAPY_TEST_SECONDS ?? 3);
globalThis.kept = [];
const small = [];
function grow() { for (let i = 0; i < 2000; i++) globalThis.kept.push({ i, s: `kept-${i}-${Math.random()}` }); }
function noise() { small.push({ t: Date.now() }); if (small.length > 100) small.length = 0; }
const timer = setInterval(() => { grow(); noise(); }, 20);
setTimeout(() => {
  clearInterval(timer);
  console.log(`alloc done ${globalThis.kept.length}`);
}, seconds * 1000);
