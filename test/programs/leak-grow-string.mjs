// A request log built with `+=` on a module-level string, plain Node with no heapy inside: each
// request appends a line, so the string's id changes on every request while its path stays
// `<module leak-grow-string.mjs>.log`. The requests' own objects die. Writes base, target and
// final snapshots into argv[2], each after one more round of 2,000 requests.
import { writeTrio } from './trio.mjs';

const dir = process.argv[2];
let log = '';
let seq = 0;

function handle(path) {
  const request = { id: ++seq, path, headers: { accept: 'application/json' }, at: Date.now() };
  const response = { status: 200, body: JSON.stringify({ ok: true, id: request.id }) };
  log += `${request.id} GET ${request.path} ${response.status} ${response.body.length}\n`;
}

await writeTrio(dir, () => {
  for (let i = 0; i < 2000; i++) handle(`/orders/${i % 50}`);
});
