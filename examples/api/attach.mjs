// attach(): the heap of another Node process that has no heapy in it, analysed in this one.
// Run: node examples/api/attach.mjs [pid]  (without a pid it starts a small service to look at)
import { spawn } from 'node:child_process';
import { attach } from 'heapy';

let pid = Number(process.argv[2]);
let child;
if (!pid) {
  // A service keeping 2000 Ticket objects. Port 0: its inspector, opened by attach() with
  // SIGUSR1, takes any free port.
  child = spawn(process.execPath, ['--inspect-port=127.0.0.1:0', '-e', `
    class Ticket { constructor(i) { this.seat = 'A' + i; } }
    globalThis.tickets = Array.from({ length: 2000 }, (_, i) => new Ticket(i));
    console.log('ready'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  pid = child.pid;
}

const session = await attach(pid);
try {
  console.log(`attached to ${session.description}`);
  const heap = await session.h.heap();
  const tickets = heap.partition.rows.find((r) => r.label === 'Ticket');
  console.log(`Ticket: ${tickets?.count ?? 0} objects`);
  console.log(String(await session.h.mem()));
} finally {
  await session.detach(); // closes the inspector attach() opened
  child?.kill();
}
