// A long-running service with a slow leak, plain Node with no heapy inside, for `heapy leaks
// --pid`: every 10 ms it handles a batch of tickets; finished tickets are meant to be dropped, but
// every tenth one is parked in a module-level `backlog` array that nothing ever empties. Prints
// {"pid": ...} on stdout once running, and runs until killed. With the argument `steady` it parks
// nothing: the same churn, no leak.
class Ticket {
  constructor(id) {
    this.id = id;
    this.subject = `ticket ${id}`;
    this.openedAt = Date.now();
  }
}

const backlog = [];
const recent = [];
let nextId = 1;
const park = process.argv[2] !== 'steady';

setInterval(() => {
  for (let i = 0; i < 20; i++) {
    const t = new Ticket(nextId++);
    recent.push(t);
    if (recent.length > 50) recent.shift();
    if (park && t.id % 10 === 0) backlog.push(t);
  }
}, 10);

process.stdout.write(JSON.stringify({ pid: process.pid }) + '\n');
