// Allocates Widgets with V8's allocation tracking on, then writes the snapshot (with its
// trace tree) to argv[2] through an in-process inspector session.
import { Session } from 'node:inspector';
import { openSync, writeSync, closeSync } from 'node:fs';

class Widget {
  constructor(i) {
    this.i = i;
  }
}

function makeWidget(i) {
  return new Widget(i);
}

const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
await post('HeapProfiler.enable');
await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
globalThis.widgets = [];
for (let i = 0; i < 100; i++) globalThis.widgets.push(makeWidget(i));
const fd = openSync(process.argv[2], 'w');
session.on('HeapProfiler.addHeapSnapshotChunk', (m) => writeSync(fd, m.params.chunk));
await post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
closeSync(fd);
session.disconnect();
