// Three heap shapes whose printed names and paths a developer must recognise (issue 17):
// a linked list of 5,000 nodes held from a global (its last node's path repeats `.next`),
// a Map whose keys are concatenated strings (V8 keeps them as cons strings, unflattened), and
// a 20 MB array two objects below a global (`holder.ctx.big`), which the retained table should
// list once. Plain Node with no heapy inside; writes one snapshot to argv[2].
import { writeHeapSnapshot } from 'node:v8';

class ListNode {
  constructor(seq) {
    this.seq = seq;
    this.next = null;
  }
}
const LIST = 5000;
globalThis.head = new ListNode(0);
let tail = globalThis.head;
for (let i = 1; i < LIST; i++) tail = tail.next = new ListNode(i);

globalThis.keep = { sourceCodes: new Map() };
for (const name of ['alpha', 'beta-module', 'gamma', 'delta']) {
  // Built at run time so V8 makes a cons string of the pieces instead of one literal.
  globalThis.keep.sourceCodes.set('/src/' + name + '.js', { name, lines: [name.length] });
}
// One key longer than the 80 characters a path prints of it: `/src/` + 120 × `x` + `.js`.
globalThis.keep.longKeys = new Map([['/src/' + 'x'.repeat(Number('120')) + '.js', { long: true }]]);

// 20 MB: 2.5 M slots of 8 bytes, filled with doubles so the backing store is one array node.
const big = new Array(2_500_000);
for (let i = 0; i < big.length; i++) big[i] = i + 0.5;
globalThis.holder = { ctx: { big } };

writeHeapSnapshot(process.argv[2]);
