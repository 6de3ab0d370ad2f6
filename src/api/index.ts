/** The sessions and results users hold: hpy(), the attached remote session, heap sets and printable results. */
export { hpy, Hpy, type HpyOptions } from './hpy.js';
export { HeapSet, PathList, MoreRows, RefPattern, idMark, combine, type NodeView, type NodeEdge } from './heapset.js';
export { StatSet, dumpStat, loadStat } from './stat.js';
export { remoteHpy, allocatedSince, renderMemory, type RemoteHpy, type RemoteHpyOptions, type ProgressSink } from './remote.js';
export { Printable, Rendered, Text } from '../util/printable.js';
