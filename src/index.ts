/**
 * heapy's library API. Named exports only.
 * @packageDocumentation
 */
export { ExitCode, HeapyError, SnapshotFormatError } from './errors.js';
export { hpy, Hpy, HeapSet, PathList, MoreRows, RefPattern, StatSet, Printable, type HpyOptions, type NodeView, type NodeEdge } from './api/index.js';
export { relations, relationByName, combine, type Relation, type Partition, type PartitionRow } from './query/index.js';
export {
  loadSnapshotFile,
  loadSnapshotStream,
  SnapshotParser,
  HeapSnapshot,
  NO_NODE,
  NO_DISTANCE,
  SYSTEM_DISTANCE_BASE,
  RENUMBER_MIN_NODES,
  type LoadOptions,
  type AnalysisLevel,
  type AnalyzeOptions,
  type Linking,
  type NodeOrder,
  type OrderMeasure,
  type RenumberMode,
  type ProgressCallback,
  type RawSnapshot,
} from './snapshot/index.js';
export { attach, type AttachSession, type AttachSessionOptions } from './api/attach.js';
export { startManhole, type ManholeOptions, type ManholeHandle, type ManholeAddress } from './manhole/index.js';
export { mark } from './monitor/mark.js';
export * from './analyses/index.js';
