// A journal Buffer replaced by a longer copy for each record (Buffer.concat), plain Node with no
// heapy inside: its id changes each time while its path stays `Root.global.journal`. Writes base,
// target and final snapshots into argv[2], each after one more round of 500 records of 64 bytes.
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
globalThis.journal = Buffer.alloc(0);
let seq = 0;

function record() {
  const line = Buffer.alloc(64, ++seq % 256);
  globalThis.journal = Buffer.concat([globalThis.journal, line]);
}

await writeTrio(dir, () => {
  for (let i = 0; i < 500; i++) record();
});
