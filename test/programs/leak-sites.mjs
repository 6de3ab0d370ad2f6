// A service with two leaks whose allocation sites `heapy leaks --pid` must name (test/leaks-sites
// .test.ts asserts these functions and their lines): addSession keeps every tenth Session in a
// Map nobody prunes, remember parks a plain object per request in an array. Both sit among
// request churn that dies young. Prints {"pid": ...} on stdout once running, runs until killed.
// Started with --no-turbo-inlining by the test: V8's sampler records the outermost function of
// inlined code, and the test asserts the functions as written.
// On a line "probe" on stdin it answers whether V8's sampling heap profiler is on in this
// process, asked through an inspector session of its own: "sampling on" or "sampling off"; on a
// line "start" it starts sampling in that session (another profiler heapy must leave alone) and
// answers "started".
import { Session as InspectorSession } from 'node:inspector';

class Session {
  constructor(id) {
    this.id = id;
    this.user = `user-${id}`;
    this.scratch = new Array(40).fill(id);
  }
}

const sessions = new Map();
function addSession(id) {
  sessions.set(id, new Session(id));
}

const notes = [];
function remember(id) {
  notes.push({ id, at: Date.now(), tags: [`tag ${id}`, `request ${id}`] });
}

function handle(i) {
  return { i, text: `request ${i}`, parts: [i, i + 1, i + 2] };
}

let next = 0;
setInterval(() => {
  for (let i = 0; i < 40; i++) {
    handle(next);
    if (next % 10 === 0) addSession(next);
    if (next % 20 === 5) remember(next);
    next++;
  }
}, 5);

const probe = new InspectorSession();
probe.connect();
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('start')) probe.post('HeapProfiler.startSampling', { samplingInterval: 65536 }, () => process.stdout.write('started\n'));
  if (!d.includes('probe')) return;
  probe.post('HeapProfiler.getSamplingProfile', (err) => process.stdout.write(err ? 'sampling off\n' : 'sampling on\n'));
});

process.stdout.write(JSON.stringify({ pid: process.pid }) + '\n');
