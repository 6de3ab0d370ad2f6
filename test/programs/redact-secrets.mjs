// Secrets planted in a real heap for the redact test: an API key in a Map, a token captured by a
// closure, a password with characters the snapshot escapes, and a distinctive heap number. Each
// is built at run time, so the whole secret is in no source text, only in the heap.
// Usage: node redact-secrets.mjs OUT.heapsnapshot
import v8 from 'node:v8';

class PaymentVault {
  constructor() {
    this.keys = new Map();
  }
}
const vault = new PaymentVault();
vault.keys.set('stripe', ['sk', 'live', 'Q7xWz3Rr9', 'Vd2Lp'].join('_'));
function makeClient(token) {
  return { authorize: () => token.length };
}
const client = makeClient(['tok', 'H4uM9c', 'Z1qY8e'].join('-'));
const password = ['pa"ss', 'wo\nrd', 'Kx81Tz'].join('');
const meter = { reading: 31415926 + 0.5 };
globalThis.planted = { vault, client, password, meter };
v8.writeHeapSnapshot(process.argv[2], { exposeNumericValues: true });
