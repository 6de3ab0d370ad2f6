// A history array replaced by a longer copy on every change (immutable updates, `[...old, x]`),
// plain Node with no heapy inside: its id changes each time while its path stays
// `<module leak-grow-array.mjs>.store.history`. Writes base, target and final snapshots into
// argv[2], each after one more round of 1,000 changes.
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
const store = { name: 'orders', history: [] };
let seq = 0;

class Change {
  constructor(id) {
    this.id = id;
    this.field = `qty-${id % 7}`;
    this.at = Date.now();
  }
}

function update() {
  store.history = [...store.history, new Change(++seq)];
}

await writeTrio(dir, () => {
  for (let i = 0; i < 1000; i++) update();
});
