/**
 * heapy's library API. Named exports only.
 * @packageDocumentation
 */
export { ExitCode, HeapyError, SnapshotFormatError } from './errors.js';
export { hpy, Hpy, type HpyOptions } from './query/hpy.js';
export { HeapSet, PathList, MoreRows, type NodeView } from './query/heapset.js';
export { StatSet } from './query/stat.js';
export { relations, relationByName, combine, type Relation, type Partition, type PartitionRow } from './query/index.js';
export {
  loadSnapshotFile,
  loadSnapshotStream,
  SnapshotParser,
  HeapSnapshot,
  type LoadOptions,
  type ProgressCallback,
  type RawSnapshot,
} from './snapshot/index.js';
export { startManhole, type ManholeOptions, type ManholeHandle, type ManholeAddress } from './manhole/index.js';
export { mark } from './monitor/mark.js';
export * from './analyses/index.js';
