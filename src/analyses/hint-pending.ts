/**
 * Hints about work that waits and keeps what it captures: promises and suspended async calls
 * (pending-promises, async-frames), pending timers and piled-up listeners (timers, listeners).
 */
import { formatBytes, formatCount } from '../util/format.js';
import { plural, type Hint, type HintScan } from './hint-model.js';

/** pending-promises and async-frames: promises with callbacks waiting, and suspended async functions or generators. */
export function asyncWork(scan: HintScan, minCount: number): Hint[] {
  const s = scan.snap;
  const ty = s.types;
  const reactionName = s.stringTable.indexOf('system / PromiseReaction');
  const out: Hint[] = [];
  const promises: number[] = [];
  const waiting: number[] = [];
  const frames = new Map<string, number[]>();
  for (let v = 0; v < s.nodeCount; v++) {
    if (!scan.inSet[v] || s.nodeType[v] !== ty.object) continue;
    let fn = -1;
    let registers = false;
    let reaction = false;
    for (let e = s.firstEdge[v]!, end = s.firstEdge[v + 1]!; e < end; e++) {
      if (s.edgeType[e] !== ty.edgeInternal) continue;
      const name = s.edgeNameString(e);
      if (name === 'function') fn = s.edgeTo[e]!;
      else if (name === 'parameters_and_registers') registers = true;
      else if (name === 'reactions_or_result' && s.nodeName[s.edgeTo[e]!] === reactionName) reaction = true;
    }
    if (s.className(v) === 'Promise') {
      promises.push(v);
      if (reaction) waiting.push(v);
    }
    if (registers && fn >= 0) {
      // A suspended async function or generator: its frame (registers, locals) waits here.
      const name = s.nodeNameString(fn) || '(anonymous)';
      const list = frames.get(name);
      if (list) list.push(v);
      else frames.set(name, [fn, v]);
    }
  }
  if (promises.length >= minCount) {
    const bytes = scan.retainedOf(waiting);
    out.push({
      rule: 'pending-promises',
      title: `${plural(promises.length, 'Promise')}, ${formatCount(waiting.length)} of them pending with callbacks waiting, retaining ${formatBytes(bytes)}`,
      advice:
        'A promise that never settles keeps its callbacks, the async functions awaiting it and all they reference. Find what should resolve these (follow the path to who holds them), and bound every wait on I/O with a timeout (AbortSignal.timeout(), or Promise.race with a timer that is cleared).',
      bytes,
      count: promises.length,
      details: [],
      objects: (waiting.length > 0 ? waiting : promises).slice(0, 2).map((v) => scan.object(v)),
    });
  }
  for (const [name, list] of frames) {
    // The list holds the closure first, then the frames.
    const fn = list[0]!;
    const objs = list.slice(1);
    if (objs.length < minCount) continue;
    const where = scan.location(fn);
    const bytes = scan.retainedOf(objs);
    out.push({
      rule: 'async-frames',
      title: `${plural(objs.length, 'suspended call')} of ${name}()${where ? ` (${where})` : ''}, retaining ${formatBytes(bytes)}`,
      advice: `Each suspended async function (or generator) keeps its whole frame, arguments and locals alive until the promise it awaits settles. So many waiting calls of ${name}() point to an await that does not return: add a timeout to it, limit how many calls run at once, or make sure whatever it waits for is resolved.`,
      bytes,
      count: objs.length,
      details: [],
      objects: objs.slice(0, 2).map((v) => scan.object(v)),
    });
  }
  return out;
}

/** timers and listeners: pending Timeout/Immediate objects, and events with many listeners. */
export function timersAndListeners(scan: HintScan, minCount: number, minListeners: number): Hint[] {
  const s = scan.snap;
  const ty = s.types;
  const out: Hint[] = [];
  const timers = new Map<string, number[]>();
  const eventsName = s.stringTable.indexOf('_events');
  const emitters: { emitter: number; event: string; array: number; count: number; fn: string }[] = [];
  for (let v = 0; v < s.nodeCount; v++) {
    if (!scan.inSet[v] || s.nodeType[v] !== ty.object) continue;
    const cls = s.className(v);
    if (cls === 'Timeout' || cls === 'Immediate') {
      const cb = scan.child(v, cls === 'Timeout' ? '_onTimeout' : '_onImmediate');
      const name = `${cls} ${cb >= 0 && s.nodeType[cb] === ty.closure ? `${s.nodeNameString(cb) || '(anonymous)'}()` : ''}`.trim();
      const list = timers.get(name);
      if (list) list.push(v);
      else timers.set(name, [v]);
    }
    if (eventsName < 0) continue;
    for (let e = s.firstEdge[v]!, end = s.firstEdge[v + 1]!; e < end; e++) {
      if (s.edgeName[e] !== eventsName || s.edgeType[e] !== ty.edgeProperty) continue;
      const events = s.edgeTo[e]!;
      for (let f = s.firstEdge[events]!, fe = s.firstEdge[events + 1]!; f < fe; f++) {
        if (s.edgeType[f] !== ty.edgeProperty) continue;
        const arr = s.edgeTo[f]!;
        if (s.nodeType[arr] !== ty.object || s.className(arr) !== 'Array') continue;
        let n = 0;
        let fn = '';
        for (let g = s.firstEdge[arr]!, ge = s.firstEdge[arr + 1]!; g < ge; g++) {
          if (s.edgeType[g] !== ty.edgeElement) continue;
          n++;
          if (!fn && s.nodeType[s.edgeTo[g]!] === ty.closure) fn = s.nodeNameString(s.edgeTo[g]!) || '(anonymous)';
        }
        if (n >= minListeners) emitters.push({ emitter: v, event: s.edgeNameString(f), array: arr, count: n, fn });
      }
    }
  }
  const allTimers = [...timers.values()].flat();
  if (allTimers.length >= minCount) {
    const bytes = scan.retainedOf(allTimers);
    const rows = [...timers].sort((a, b) => b[1].length - a[1].length);
    out.push({
      rule: 'timers',
      title: `${plural(allTimers.length, 'pending timer')}, retaining ${formatBytes(bytes)}`,
      advice:
        'Every pending setTimeout/setInterval keeps its callback and all the callback captures alive until it fires (an interval: until cleared). Clear timers whose work is no longer needed (clearTimeout/clearInterval, also on error paths); unref() lets the process exit but frees nothing.',
      bytes,
      count: allTimers.length,
      details: rows.slice(0, 5).map(([name, list]) => `${name} x${formatCount(list.length)}`),
      objects: rows.slice(0, 2).map(([, list]) => scan.object(list[0]!)),
    });
  }
  emitters.sort((a, b) => b.count - a.count);
  for (const x of emitters.slice(0, 5)) {
    const bytes = s.retainedSize[x.array]!;
    const cls = scan.kind(x.emitter);
    out.push({
      rule: 'listeners',
      title: `${cls} @${s.nodeId[x.emitter]} has ${plural(x.count, `'${x.event}' listener`)}${x.fn ? ` (${x.fn}()...)` : ''}, retaining ${formatBytes(bytes)}`,
      advice: `Listeners added with on()/addListener() stay until removed, and keep all they capture. Remove each with off(event, fn) when its subscriber goes away (or use once() for one-shot handlers); Node warns past 10 listeners for a reason.`,
      bytes,
      count: x.count,
      details: [],
      objects: [scan.object(x.emitter)],
    });
  }
  return out;
}
