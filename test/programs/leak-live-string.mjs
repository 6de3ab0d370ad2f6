// A long-running service whose request log is a module-level string built with `+=`, plain Node
// with no heapy inside, for `heapy leaks --pid`: every 10 ms it handles 20 requests and appends a
// line of about 40 bytes for each, so the string is replaced 2,000 times a second while its place
// stays `<module leak-live-string.mjs>.log`. Prints {"pid": ...} on stdout once running, and runs
// until killed.
let log = '';
let seq = 0;

setInterval(() => {
  for (let i = 0; i < 20; i++) {
    const request = { id: ++seq, path: `/orders/${seq % 50}` };
    log += `${new Date(1_700_000_000_000 + seq).toISOString()} GET ${request.path}\n`;
  }
}, 10);

process.stdout.write(JSON.stringify({ pid: process.pid }) + '\n');
