// Collections whose hidden parts a path or a `--by via` label must name (issue 17): a Map and a
// Set held from globals (each with its backing table), and a WeakMap from Linter objects (kept by
// a global array) to their Config objects, whose entries V8 records as key -> value edges.
// Plain Node with no heapy inside; writes one snapshot to argv[2].
import { writeHeapSnapshot } from 'node:v8';

class Linter {
  constructor(name) {
    this.name = name;
  }
}
class Config {
  constructor(rules) {
    this.rules = rules;
  }
}
globalThis.sessions = new Map([
  ['a', { user: 'a' }],
  ['b', { user: 'b' }],
]);
globalThis.seen = new Set([{ tag: 1 }, { tag: 2 }]);
globalThis.linters = [new Linter('js'), new Linter('ts')];
const configs = new WeakMap();
for (const l of globalThis.linters) configs.set(l, new Config([l.name + '-rule']));
globalThis.configs = configs;
writeHeapSnapshot(process.argv[2]);
