// startManhole(): a REPL inside a running service, on 127.0.0.1 only, behind a token.
// Run: node examples/api/manhole.mjs  (then `heapy connect <port>` from another terminal while it runs)
import { connect } from 'node:net';
import { startManhole } from 'heapy';

const cache = new Map(Array.from({ length: 1000 }, (_, i) => [i, { value: i }]));
const manhole = await startManhole({ port: 0, namespace: { cache } }); // port 0: any free port
console.log(`manhole on port ${manhole.port}; token in ${manhole.tokenFile ?? '(given)'}`);

// What `heapy connect` does, by hand: send the token, then lines to evaluate. In the manhole,
// h = hpy() is ready and `cache` is the namespace's.
const socket = connect(manhole.port, '127.0.0.1');
socket.setEncoding('utf8');
let reply = '';
socket.on('data', (d) => (reply += d));
socket.write(`${manhole.token}\n`);
socket.write('cache.size\n');
await new Promise((resolve) => {
  const check = setInterval(() => {
    if (/\b1000\b/.test(reply)) {
      clearInterval(check);
      resolve();
    }
  }, 20);
});
console.log(`cache.size in the manhole: ${/\b1000\b/.exec(reply)[0]}`);
socket.end();
await manhole.close();
