// An index Map rebuilt on every change (`new Map([...old, [k, v]])`), plain Node with no heapy
// inside: its id changes each time while its path stays `<module leak-grow-map.mjs>.index`.
// Writes base, target and final snapshots into argv[2], each after one more round of 300 changes.
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
let index = new Map();
let seq = 0;

class Entry {
  constructor(id) {
    this.id = id;
    this.owner = `user-${id % 40}`;
  }
}

function add() {
  const id = ++seq;
  index = new Map([...index, [`order-${id}`, new Entry(id)]]);
}

await writeTrio(dir, () => {
  for (let i = 0; i < 300; i++) add();
});
